"""Errors that both a dicomweb-client user's and a dicomkit user's ``except`` clauses catch.

dicomweb-client lets ``requests.exceptions.HTTPError`` escape, and ``retrying.RetryError`` when
its retries run out on a retryable status. The compatibility client raises classes deriving
from the matching dicomkit error *and* from those, so neither kind of ``except`` clause changes.
``retrying`` is not a dicomkit dependency: when it is missing, :class:`RetryError` derives from
dicomkit's error only.
"""

from __future__ import annotations

import importlib
import json
from typing import Any

import requests

from dicomkit.core import errors
from dicomkit.core.interface import Headers

__all__ = [
    "Attempt",
    "HTTPError",
    "InvalidUIDError",
    "ResponseError",
    "RetryError",
    "ResponseView",
    "compat_http_error",
]


class ResponseView:
    """The parts of a ``requests.Response`` that error handlers read (status, headers, body)."""

    def __init__(self, status: int, headers: Headers, body: bytes, url: str) -> None:
        self.status_code = status
        self.headers = dict(headers.items())
        self.content = body
        self.url = url
        self.reason = ""
        self.ok = status < 400

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.content)


class HTTPError(errors.HTTPError, requests.exceptions.HTTPError):
    """An error status: a :class:`dicomkit.HTTPError` and a ``requests.HTTPError`` at once.

    ``response`` is a :class:`ResponseView` (``status_code``, ``headers``, ``content``, ``text``,
    ``json()``), as handlers written for dicomweb-client expect.
    """

    response: Any


class InvalidUIDError(errors.InvalidUIDError):
    """A UID refused before any request; the message names the pattern, as dicomweb-client's."""


class ResponseError(errors.ProtocolError, ValueError):
    """An answer the client cannot read (dicomweb-client raises ``ValueError`` for these)."""


_CLASSES: dict[type[errors.HTTPError], type[HTTPError]] = {errors.HTTPError: HTTPError}


def _compat_class(base: type[errors.HTTPError]) -> type[HTTPError]:
    """The class deriving from ``base`` (a dicomkit status class) and the compat HTTPError:
    one per status class, so ``except compat.NotFoundError``-style checks stay stable."""
    if base not in _CLASSES:
        _CLASSES[base] = type(base.__name__, (base, HTTPError), {"__module__": __name__})
    return _CLASSES[base]


def compat_http_error(error: errors.HTTPError, body: bytes) -> HTTPError:
    """``error`` (built by dicomkit's core) as the dual class, carrying a response view."""
    cls = _compat_class(type(error))
    compat = cls(
        error.status,
        str(error),
        method=error.method,
        url=error.url,
        headers=error.headers,
        body=error.body,
        reasons=error.reasons,
    )
    compat.response = ResponseView(error.status, Headers(error.headers), body, error.url)
    return compat


class Attempt:
    """What ``retrying.RetryError.last_attempt`` holds: the last answer, here as an error."""

    def __init__(self, value: HTTPError, attempt_number: int) -> None:
        self.value = value
        self.attempt_number = attempt_number
        self.has_exception = False

    def get(self, wrap_exception: bool = False) -> HTTPError:
        return self.value

    def __repr__(self) -> str:
        return f"Attempts: {self.attempt_number}, Value: {self.value!r}"


class _RetryErrorBase(errors.DicomkitError):
    """Retries ran out on a retryable status; ``error`` is the last answer's HTTPError."""

    def __init__(self, last_attempt: Attempt) -> None:
        self.last_attempt = last_attempt
        self.error = last_attempt.value
        errors.DicomkitError.__init__(
            self,
            f"RetryError[{last_attempt}]: gave up after {last_attempt.attempt_number} attempts",
        )

    def __str__(self) -> str:
        return str(self.args[0])


def _retry_error_class() -> type[_RetryErrorBase]:
    try:
        retrying: Any = importlib.import_module("retrying")
    except ImportError:
        return type("RetryError", (_RetryErrorBase,), {"__module__": __name__})
    return type("RetryError", (_RetryErrorBase, retrying.RetryError), {"__module__": __name__})


RetryError = _retry_error_class()
"""Raised when retries run out on a retryable status, like ``retrying.RetryError`` (and it is
one when ``retrying`` is installed); ``.error`` is the last answer's :class:`HTTPError`."""
