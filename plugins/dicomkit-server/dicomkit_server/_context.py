"""The state a request handler works with: the server's parts, and where the request points."""

from __future__ import annotations

from dataclasses import dataclass, field

from dicomkit_server._auth import ServerAuth
from dicomkit_server._faults import Faults
from dicomkit_server._store import Store
from dicomkit_server._ups import Worklist

__all__ = ["DEFAULT_PARTITION", "RecordedRequest", "RequestContext", "ServerState"]

DEFAULT_PARTITION = "Microsoft.Default"
"""The partition of requests that name none (Microsoft's name for it)."""

DUPLICATE_POLICIES = ("reject", "replace")


@dataclass
class RecordedRequest:
    """One request as the server saw it, so tests can count retries and inspect headers."""

    method: str
    path: str
    query: str
    headers: dict[str, str]


@dataclass
class ServerState:
    """Everything the handlers share; owned by one ReferenceServer."""

    store: Store
    faults: Faults
    auth: ServerAuth | None = None
    api_version: str | None = None
    empty_result_status: int = 200
    duplicate_policy: str = "reject"
    max_results: int | None = None
    """At most this many QIDO-RS results per answer; the rest is announced in a
    ``Warning: 299`` (PS3.18 8.3.4.4.1), as capped production servers do."""
    requests: list[RecordedRequest] = field(default_factory=list)
    workitems: Worklist = field(default_factory=Worklist)
    """UPS-RS workitems (:mod:`dicomkit_server._ups`), emptied by ``reset``."""
    origin: str = ""
    """``http://host:port`` of the running server: links are built from it, not from ``Host``
    (some clients send ``Host`` without the port)."""

    def __post_init__(self) -> None:
        if self.duplicate_policy not in DUPLICATE_POLICIES:
            raise ValueError(f"duplicate_policy must be one of {DUPLICATE_POLICIES}")
        if self.empty_result_status not in (200, 204):
            raise ValueError("empty_result_status must be 200 or 204")
        if self.max_results is not None and self.max_results < 1:
            raise ValueError("max_results must be a positive number of results")
        if self.api_version is not None and not self.api_version.strip("/"):
            raise ValueError("api_version must be a name such as 'v1'")

    @property
    def prefix(self) -> str:
        """The path of the DICOMweb root on this server ("" or "/v1")."""
        return f"/{self.api_version.strip('/')}" if self.api_version else ""


@dataclass
class RequestContext:
    """Where one request points: its partition and the absolute root URL to build links from."""

    state: ServerState
    partition: str
    root_url: str
    """Absolute DICOMweb root for this request, partition included (for RetrieveURL)."""

    def instance_url(self, study: str, series: str, sop: str) -> str:
        return f"{self.root_url}/studies/{study}/series/{series}/instances/{sop}"
