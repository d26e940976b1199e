"""The compatibility client's HTTP: dicomkit's requests transport, retries, errors, multipart.

Requests go through :class:`~dicomkit.transports.RequestsTransport` over the client's own
``requests.Session`` (so ``proxies``, ``headers`` and the ``callback`` hook set on it apply, as
in dicomweb-client). Retries are decided by dicomkit's pure
:class:`~dicomkit.core.retry.RetryPolicy`, configured as dicomweb-client's
``set_http_retry_params`` describes them; an answer with a retryable status still failing after
the last attempt ends in :class:`RetryError`, any other error status in the dual
:class:`HTTPError`.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from http import HTTPStatus
from typing import Any

import requests

from dicomkit.compat.dicomweb_client._errors import (
    Attempt,
    HTTPError,
    ResponseError,
    RetryError,
    compat_http_error,
)
from dicomkit.core.errors import InvalidArgumentError, ProtocolError, TransportError
from dicomkit.core.interface import Body, Headers, Request, Response, Timeout
from dicomkit.core.media import parse_media_type
from dicomkit.core.multipart import MultipartDecoder, PartData, PartEnd, PartStart
from dicomkit.core.operations.answers import ERROR_BODY_LIMIT, error_from_response
from dicomkit.core.query import QUERY_SAFE, percent_encode
from dicomkit.core.retry import RetryPolicy
from dicomkit.transports import RequestsTransport

__all__ = ["DEFAULT_RETRIABLE", "HttpRunner", "check_frames", "query_string", "timeout_of"]

logger = logging.getLogger("dicomkit.compat")

DEFAULT_RETRIABLE = (
    HTTPStatus.TOO_MANY_REQUESTS,
    HTTPStatus.REQUEST_TIMEOUT,
    HTTPStatus.SERVICE_UNAVAILABLE,
    HTTPStatus.GATEWAY_TIMEOUT,
)
_ALL_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "DELETE", "PUT", "POST"})
_MAX_WAIT = 1073741823 / 1000  # retrying's default wait_exponential_max, in seconds


def timeout_of(value: float | tuple[float | None, float | None] | None) -> Timeout:
    """requests' ``timeout`` (one number, or ``(connect, read)``) as dicomkit's."""
    if isinstance(value, tuple):
        return Timeout(connect=value[0], read=value[1])
    return Timeout(connect=value, read=value)


def query_string(params: Mapping[str, Any] | None) -> str:
    """``?key=value&...``: a list value repeats its key; names and values percent-encoded."""
    if not params:
        return ""
    fields: list[str] = []
    for key, value in params.items():
        values = value if isinstance(value, (list, tuple, set)) else [value]
        name = percent_encode(str(key), QUERY_SAFE)
        fields.extend(f"{name}={percent_encode(str(item), QUERY_SAFE)}" for item in values)
    return "?" + "&".join(fields) if fields else ""


class HttpRunner:
    """Sends requests with dicomweb-client's retry rules and reads answers as it does."""

    def __init__(self, session: requests.Session, timeout: Timeout, chunk_size: int) -> None:
        self.session = session
        self.timeout = timeout
        self.chunk_size = chunk_size
        self.transport = RequestsTransport(session=session)
        self.configure_retry(True, 5, 1000, DEFAULT_RETRIABLE)

    def configure_retry(
        self, retry: bool, max_attempts: int, multiplier_ms: float, codes: Sequence[int]
    ) -> None:
        """dicomweb-client's parameters as a :class:`RetryPolicy` (no jitter, no time limit)."""
        self.retry = retry
        self.codes = frozenset(int(code) for code in codes) if retry else frozenset()
        self.policy = RetryPolicy(
            max_attempts=max_attempts if retry else 1,
            backoff=2 * multiplier_ms / 1000 if retry else 0.0,
            max_backoff=_MAX_WAIT,
            total_timeout=None,
            retry_statuses=self.codes,
            retry_methods=_ALL_METHODS,
            retry_stow=True,
            jitter=0.0,
        )

    def send(
        self, method: str, url: str, headers: Mapping[str, str] | None = None, body: Body = None
    ) -> Response:
        """The answer to ``method url`` once it is not an error; retried as configured."""
        attempt = 0
        started = time.monotonic()
        while True:
            attempt += 1
            request = Request(method, url, Headers(dict(headers or {})), body, self.timeout)
            logger.debug("%s %s", method, url)
            try:
                response = self.transport.send(request)
            except TransportError as error:
                delay = self._delay(attempt, method, started, error=error)
                if delay is None:
                    raise
                time.sleep(delay)
                continue
            if response.status < 400 and response.status not in self.codes:
                if "Warning" in response.headers:
                    logger.warning(response.headers["Warning"])
                return response
            failure = self._error(request, response)
            if response.status not in self.codes:
                raise failure
            delay = self._delay(
                attempt,
                method,
                started,
                status=response.status,
                retry_after=response.headers.get("Retry-After"),
            )
            if delay is None:
                raise RetryError(Attempt(failure, attempt)) from failure
            time.sleep(delay)

    def _delay(self, attempt: int, method: str, started: float, **outcome: Any) -> float | None:
        return self.policy.next_delay(
            attempt, method, elapsed=time.monotonic() - started, **outcome
        )

    @staticmethod
    def _error(request: Request, response: Response) -> HTTPError:
        with response:
            body = b""
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) >= ERROR_BODY_LIMIT:
                    break
        if response.status == HTTPStatus.METHOD_NOT_ALLOWED and request.method == "DELETE":
            logger.error(
                "Resource could not be deleted. The origin server may not support deletion "
                "or you may not have the necessary permissions."
            )
        found = error_from_response(request, response.status, response.headers, body)
        return compat_http_error(found, body)

    def read(self, response: Response) -> bytes:
        with response:
            return response.read()

    def get(self, url: str, accept: str | None = None, **extra: str) -> Response:
        headers = {"Accept": accept} if accept else {}
        headers.update(extra)
        return self.send("GET", url, headers)

    def get_json(self, url: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """A DICOM JSON array (a lone object, which some servers send, as a list of one)."""
        response = self.get(url + query_string(params), "application/dicom+json, application/json")
        body = self.read(response)
        if not body:
            return []
        try:
            decoded = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise ResponseError(f"the answer from {url} is not JSON: {exc}") from exc
        if isinstance(decoded, dict):
            return [decoded]
        if not isinstance(decoded, list):
            raise ResponseError(f"the answer from {url} is not a JSON array")
        return decoded

    def iter_parts(self, response: Response) -> Iterator[bytes]:
        """Each part's body; a ``multipart/related`` answer without a boundary is one part.

        Some servers label a single frame as multipart without a boundary, or answer a
        multipart request with the bare content: dicomweb-client returns such a body whole, and
        so does this. Any other media type is refused.
        """
        with response:
            content_type = response.headers.get("Content-Type") or ""
            try:
                media = parse_media_type(content_type)
            except ProtocolError as exc:
                raise ResponseError(f'Unexpected media type: "{content_type}"') from exc
            if media.type != "multipart/related":
                raise ResponseError(
                    f'Unexpected media type: "{media.type}". Expected "multipart/related".'
                )
            boundary = media.params.get("boundary")
            if not boundary:
                yield response.read()
                return
            yield from _decode(response.iter_bytes(), boundary)


def _decode(chunks: Iterator[bytes], boundary: str) -> Iterator[bytes]:
    decoder = MultipartDecoder(boundary)
    pieces: list[bytes] = []
    for chunk in chunks:
        for event in decoder.feed(chunk):
            if isinstance(event, PartStart):
                pieces = []
            elif isinstance(event, PartData):
                pieces.append(bytes(event.data))
            elif isinstance(event, PartEnd):
                yield b"".join(pieces)
    decoder.close()


def check_frames(frame_numbers: Sequence[int]) -> str:
    """The comma-separated frame list; frames are positive integers."""
    if not frame_numbers:
        raise InvalidArgumentError("`frames` cannot be empty.")
    for number in frame_numbers:
        if not isinstance(number, int) or isinstance(number, bool) or number < 1:
            raise InvalidArgumentError(f"Frame numbers must be positive integers, not {number!r}")
    return ",".join(str(n) for n in frame_numbers)
