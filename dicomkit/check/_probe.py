"""Send one probe and keep what the verdict needs: status, headers, a bounded body.

The checker wants to see what the server really answers, so it does not run the client's
exchanges (which would turn a 406 into an exception and a quirk into a fallback); it sends the
Request itself through the client's own transport and credentials, without retries.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dicomkit.core import multipart
from dicomkit.core.errors import DicomkitError
from dicomkit.core.interface import Body, Headers, Request
from dicomkit.core.media import MediaType, parse_media_type
from dicomkit.core.operations import with_headers

if TYPE_CHECKING:
    from dicomkit.client import DicomClient

__all__ = ["BODY_LIMIT", "Answer", "Prober"]

BODY_LIMIT = 8 << 20
"""Bytes of an answer kept: enough for the synthetic study, bounded for a real archive."""


@dataclass
class Answer:
    """What the server did with one probe (``status`` 0: the request failed to send)."""

    status: int
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""
    failure: str = ""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type") or ""

    @property
    def media(self) -> MediaType | None:
        try:
            return parse_media_type(self.content_type) if self.content_type else None
        except DicomkitError:
            return None

    def evidence(self, *extra: str) -> str:
        """``"200 application/dicom+json"`` plus ``extra`` notes: what a row shows."""
        if not self.status:
            return f"request failed: {self.failure}"
        media = self.media
        words = [str(self.status)] + ([media.type] if media else [])
        return " ".join(words + [note for note in extra if note])

    def json(self) -> Any:
        """The body as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.body) if self.body.strip() else None
        except ValueError:
            return None

    def datasets(self) -> list[dict[str, Any]] | None:
        """A DICOM JSON array as a list of objects; ``[]`` for a 204; None otherwise."""
        if self.status == 204:
            return []
        value = self.json()
        if isinstance(value, list) and all(isinstance(item, dict) for item in value):
            return value
        return None

    def parts(self) -> list[tuple[Headers, bytes]] | None:
        """The parts of a multipart answer, or None when it is not one or is malformed."""
        media = self.media
        boundary = media.params.get("boundary") if media and media.is_multipart else None
        if not boundary:
            return None
        try:
            return list(multipart.iter_parts([self.body], boundary))
        except DicomkitError:
            return None


class Prober:
    """Sends probes for one client (its transport, credentials and URLs)."""

    def __init__(self, client: DicomClient) -> None:
        self.client = client
        self.urls = client.urls
        self.sent = 0

    def send(
        self,
        method: str,
        url: str,
        *,
        accept: str | None = None,
        headers: Mapping[str, str] | None = None,
        body: Body = None,
    ) -> Answer:
        extra = dict(headers or {})
        if accept is not None:
            extra["Accept"] = accept
        request = self.client.operations.request(method, url, headers=extra, body=body)
        self.sent += 1
        try:
            return self._exchange(request)
        except DicomkitError as exc:
            return Answer(0, failure=f"{type(exc).__name__}: {exc}"[:200])

    def get(self, url: str, accept: str | None = None, **headers: str) -> Answer:
        return self.send("GET", url, accept=accept, headers=headers)

    def _exchange(self, request: Request) -> Answer:
        auth = self.client.auth
        transport = self.client.transport
        sent_headers = auth.headers(transport) if auth else {}
        response = transport.send(with_headers(request, sent_headers))
        if response.status == 401 and auth is not None and auth.refresh(transport, sent_headers):
            response.close()
            response = transport.send(with_headers(request, auth.headers(transport)))
        with response:
            kept = bytearray()
            for chunk in response.iter_bytes():
                kept += chunk
                if len(kept) > BODY_LIMIT:
                    break
            return Answer(response.status, response.headers, bytes(kept[:BODY_LIMIT]))
