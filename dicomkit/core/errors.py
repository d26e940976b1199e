"""The one exception tree of dicomkit.

Every error a user can see from dicomkit is a :class:`DicomkitError`. Backends map their HTTP
library's exceptions into this tree (keeping the original as ``__cause__``); the clients turn
HTTP error statuses into :class:`HTTPError` subclasses. Cancellation (``KeyboardInterrupt``,
``asyncio.CancelledError``) and programming errors (``TypeError`` ...) are never wrapped.

::

    DicomkitError
    ├── InvalidArgumentError (also ValueError)   bad input, detected before any request
    │   └── InvalidUIDError                      not a DICOM UID (and so never reaches a URL)
    ├── TransportError                           the bytes did not move
    │   ├── ConnectError                         refused, unreachable, DNS failure
    │   ├── TLSError                             certificate or handshake failure
    │   ├── TimeoutError                         (also builtins.TimeoutError)
    │   │   ├── ConnectTimeout
    │   │   └── ReadTimeout
    │   ├── ConnectionLostError                  the peer cut the connection or the body short
    │   ├── TooManyRedirectsError
    │   └── TransportClosedError                 the transport or response was used after close
    ├── TransportNotFoundError (also LookupError) no backend installed under that name
    ├── ProtocolError                            the server's answer is not what DICOMweb says
    │   ├── MultipartError                       malformed or truncated multipart body
    │   │   └── MultipartLimitError              a configured decoder limit was exceeded
    │   ├── DicomJSONError                       malformed DICOM JSON
    │   └── NotDicomWebError                     not a DICOMweb answer: the base URL is wrong
    ├── HTTPError                                the server answered with an error status
    │   ├── ClientError (4xx)
    │   │   ├── BadRequestError          400
    │   │   ├── UnauthorizedError        401
    │   │   ├── ForbiddenError           403
    │   │   ├── NotFoundError            404
    │   │   ├── MethodNotAllowedError    405    e.g. a server without DICOMweb DELETE
    │   │   ├── NotAcceptableError       406
    │   │   ├── ConflictError            409
    │   │   ├── UnsupportedMediaTypeError 415
    │   │   └── TooManyRequestsError     429
    │   └── ServerError (5xx)
    │       ├── ServiceUnavailableError  503
    │       └── GatewayTimeoutError      504
    ├── StoreError                               a STOW-RS request failed in part or whole
    └── AuthError                                credentials could not be obtained or were refused
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dicomkit.core.stow_response import StoreResult

__all__ = [
    "AuthError",
    "BadRequestError",
    "ClientError",
    "ConflictError",
    "ConnectError",
    "ConnectTimeout",
    "ConnectionLostError",
    "DicomJSONError",
    "DicomkitError",
    "ForbiddenError",
    "GatewayTimeoutError",
    "HTTPError",
    "InvalidArgumentError",
    "InvalidUIDError",
    "MethodNotAllowedError",
    "MultipartError",
    "MultipartLimitError",
    "NotAcceptableError",
    "NotDicomWebError",
    "NotFoundError",
    "ProtocolError",
    "ReadTimeout",
    "ServerError",
    "ServiceUnavailableError",
    "StoreError",
    "TLSError",
    "TimeoutError",
    "TokenEndpointError",
    "TooManyRedirectsError",
    "TooManyRequestsError",
    "TransportClosedError",
    "TransportError",
    "TransportNotFoundError",
    "UnauthorizedError",
    "UnsupportedMediaTypeError",
    "dicomweb_root_hint",
    "error_for_status",
]

_BODY_PREVIEW = 500


class DicomkitError(Exception):
    """Base of every error dicomkit raises."""


class InvalidArgumentError(DicomkitError, ValueError):
    """An argument is invalid; raised before any request is sent."""


class InvalidUIDError(InvalidArgumentError):
    """A value that must be a DICOM UID is not one."""


class TransportError(DicomkitError):
    """The request or response bytes could not be moved."""


class ConnectError(TransportError):
    """The connection could not be established."""


class TLSError(ConnectError):
    """TLS verification or handshake failed."""


class TimeoutError(TransportError, builtins.TimeoutError):  # noqa: A001 - deliberate, as httpx
    """A timeout expired."""


class ConnectTimeout(TimeoutError):
    """No connection within the connect timeout."""


class ReadTimeout(TimeoutError):
    """No bytes within the read timeout."""


class ConnectionLostError(TransportError):
    """The connection broke mid-request or mid-body: the body received is incomplete."""


class TooManyRedirectsError(TransportError):
    """More redirects than the transport's limit."""


class TransportClosedError(TransportError):
    """A closed transport or response was used."""


class TransportNotFoundError(DicomkitError, LookupError):
    """No transport backend is installed under the requested name."""


class ProtocolError(DicomkitError):
    """The server's answer does not follow DICOMweb."""


class MultipartError(ProtocolError):
    """A multipart body is malformed or truncated."""


class MultipartLimitError(MultipartError):
    """A multipart decoder limit (header size, header count, boundary, buffer) was exceeded."""


class DicomJSONError(ProtocolError):
    """A DICOM JSON document is malformed."""


class NotDicomWebError(ProtocolError):
    """The server answered, but not as a DICOMweb server would: the base URL most likely points
    at another API of that server (Orthanc's REST root, a web page) instead of its DICOMweb root.

    ``url`` is the request's URL and ``content_type`` what the answer said it held.
    """

    def __init__(
        self, method: str, url: str, content_type: str | None, *, expected: str, why: str = ""
    ) -> None:
        self.method, self.url, self.content_type = method, url, content_type
        label = content_type or "no Content-Type"
        detail = f" ({why})" if why else ""
        super().__init__(
            f"{method} {url} answered {label}{detail}, not {expected}: this is not a DICOMweb"
            f" answer. {dicomweb_root_hint(url)}"
        )
        self._rebuild = (method, url, content_type, expected, why)

    def __reduce__(self) -> tuple[Any, ...]:
        method, url, content_type, expected, why = self._rebuild
        return (_rebuild_not_dicomweb, (method, url, content_type, expected, why))


def _rebuild_not_dicomweb(
    method: str, url: str, content_type: str | None, expected: str, why: str
) -> NotDicomWebError:
    return NotDicomWebError(method, url, content_type, expected=expected, why=why)


_RESOURCE = re.compile(r"/(?:studies|series|instances|workitems|bulkdata)(?:[/?#]|$)")


def dicomweb_root_hint(url: str) -> str:
    """The sentence that tells a user whose request reached the wrong API what to pass instead:
    the base URL this request was built from, and Orthanc's DICOMweb root beside it."""
    start = url.find("//") + 2 if "//" in url else 0
    found = _RESOURCE.search(url, start)
    base = (url[: found.start()] if found else url.split("?", 1)[0]).rstrip("/")
    slash = base.find("/", start)
    orthanc = (base if slash < 0 else base[:slash]) + "/dicom-web"
    return (
        f"Is {base} the server's DICOMweb root? Pass the root the server documents as the base"
        f" URL (for Orthanc {orthanc}, not its REST root); see the troubleshooting page of the"
        " docs."
    )


class AuthError(DicomkitError):
    """Credentials could not be obtained, or the server refused them."""


class TokenEndpointError(AuthError):
    """The token endpoint answered with an error status.

    ``status`` and ``retry_after`` let the client's retry policy treat a 503 from the token
    endpoint as it treats one from the DICOMweb server; ``token_url`` names the endpoint, so the
    message never reads as if the DICOM server had failed.
    """

    def __init__(
        self, message: str, *, token_url: str, status: int, retry_after: str | None = None
    ) -> None:
        super().__init__(message)
        self.token_url = token_url
        self.status = status
        self.retry_after = retry_after


class HTTPError(DicomkitError):
    """The server answered with an error status.

    ``body`` holds the server's error body (bounded), because servers such as Orthanc explain
    the failure there, often as JSON without a Content-Type.
    """

    status: int

    def __init__(
        self,
        status: int,
        message: str = "",
        *,
        method: str = "",
        url: str = "",
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
        reasons: Sequence[str] = (),
    ) -> None:
        self.status = status
        self.method = method
        self.url = url
        self.headers: Mapping[str, str] = dict(headers or {})
        self.body = body
        self.reasons = list(reasons)
        super().__init__(message or self._default_message())

    def _default_message(self) -> str:
        target = f" for {self.method} {self.url}" if self.url else ""
        text = f"HTTP {self.status}{target}"
        if self.reasons:
            text += ": " + "; ".join(self.reasons)
        elif self.body:
            # one line: Orthanc pretty-prints its JSON bodies over dozens of lines
            preview = self.body[:_BODY_PREVIEW].decode("utf-8", "replace")
            text += ": " + " ".join(preview.split())
        return text

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_http_error, (type(self), self.status, str(self), self.body))


def _rebuild_http_error(cls: type[HTTPError], status: int, message: str, body: bytes) -> HTTPError:
    return cls(status, message, body=body)


class ClientError(HTTPError):
    """A 4xx answer: the request was wrong."""


class BadRequestError(ClientError):
    """400."""


class UnauthorizedError(ClientError):
    """401: credentials missing, expired or wrong."""


class ForbiddenError(ClientError):
    """403."""


class NotFoundError(ClientError):
    """404: no such study, series, instance or resource."""


class MethodNotAllowedError(ClientError):
    """405: the server does not support this operation (Orthanc has no DICOMweb DELETE)."""


class NotAcceptableError(ClientError):
    """406: the server cannot give the requested media type or transfer syntax."""


class ConflictError(ClientError):
    """409."""


class UnsupportedMediaTypeError(ClientError):
    """415."""


class TooManyRequestsError(ClientError):
    """429: throttled; see ``headers['Retry-After']``."""


class ServerError(HTTPError):
    """A 5xx answer: the server failed."""


class ServiceUnavailableError(ServerError):
    """503."""


class GatewayTimeoutError(ServerError):
    """504."""


class StoreError(DicomkitError):
    """A STOW-RS request stored some or none of its instances; ``result`` says which and why."""

    def __init__(self, message: str, result: StoreResult, *, status: int = 0) -> None:
        self.result = result
        self.status = status
        super().__init__(message)


_BY_STATUS: dict[int, type[HTTPError]] = {
    400: BadRequestError,
    401: UnauthorizedError,
    403: ForbiddenError,
    404: NotFoundError,
    405: MethodNotAllowedError,
    406: NotAcceptableError,
    409: ConflictError,
    415: UnsupportedMediaTypeError,
    429: TooManyRequestsError,
    503: ServiceUnavailableError,
    504: GatewayTimeoutError,
}


def error_for_status(status: int) -> type[HTTPError]:
    """The most specific :class:`HTTPError` subclass for an error status."""
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    if 400 <= status < 500:
        return ClientError
    if status >= 500:
        return ServerError
    return HTTPError
