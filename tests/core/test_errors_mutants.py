"""The error tree's own behaviour (issue 13.4, third round): the token endpoint's error and
what it carries, and the DICOMweb-root hint for URLs whose shape trips a naive reading (no
scheme, an empty host, a host named like a resource, several ``?``, doubled slashes)."""

from __future__ import annotations

import pickle

import pytest

from dicomkit.core.errors import (
    AuthError,
    BadRequestError,
    ClientError,
    HTTPError,
    ServerError,
    TokenEndpointError,
    dicomweb_root_hint,
    error_for_status,
)


def _hint(base: str, orthanc: str) -> str:
    return (
        f"Is {base} the server's DICOMweb root? Pass the root the server documents as the base"
        f" URL (for Orthanc {orthanc}, not its REST root); see the troubleshooting page of the"
        " docs."
    )


def test_a_token_endpoint_error_carries_what_the_retry_policy_reads() -> None:
    error = TokenEndpointError(
        "the token endpoint answered 503", token_url="https://login/t", status=503, retry_after="7"
    )
    assert isinstance(error, AuthError)
    assert str(error) == "the token endpoint answered 503"
    assert error.args == ("the token endpoint answered 503",)
    assert (error.token_url, error.status, error.retry_after) == ("https://login/t", 503, "7")
    plain = TokenEndpointError("refused", token_url="https://login/t", status=400)
    assert (plain.status, plain.retry_after) == (400, None)


@pytest.mark.parametrize(
    ("url", "base", "orthanc"),
    [
        ("/studies/1.2", "", "/dicom-web"),
        ("/dicom", "/dicom", "/dicom-web"),
        ("dicom/studies", "dicom", "dicom/dicom-web"),
        ("http://h/x//studies/1", "http://h/x", "http://h/dicom-web"),
        ("http:///dicom", "http:///dicom", "http:///dicom-web"),
        ("http://series/dicom-web/studies", "http://series/dicom-web", "http://series/dicom-web"),
        ("http://studies", "http://studies", "http://studies/dicom-web"),
        ("http://h/x?a?b", "http://h/x", "http://h/dicom-web"),
        ("http://h/fooX/studies", "http://h/fooX", "http://h/dicom-web"),
        ("http://h/a/?q", "http://h/a", "http://h/dicom-web"),
        ("http://h:8042/dw/studies/1.2?x=1", "http://h:8042/dw", "http://h:8042/dicom-web"),
    ],
)
def test_root_hints_for_odd_urls(url: str, base: str, orthanc: str) -> None:
    assert dicomweb_root_hint(url) == _hint(base, orthanc)


@pytest.mark.parametrize(
    ("status", "kind"),
    [(400, BadRequestError), (402, ClientError), (499, ClientError), (500, ServerError),
     (599, ServerError), (399, HTTPError), (200, HTTPError)],
)  # fmt: skip
def test_error_classes_by_status(status: int, kind: type[HTTPError]) -> None:
    assert error_for_status(status) is kind


def test_an_http_error_body_in_one_line() -> None:
    error = HTTPError(500, body=b'{\n  "Message" :\n  "caf\xc3\xa9 down"\n}\xff', url="http://h/x")
    assert str(error) == 'HTTP 500 for  http://h/x: { "Message" : "caf\u00e9 down" }\ufffd'
    again = pickle.loads(pickle.dumps(error))
    assert (type(again), str(again), again.body) == (HTTPError, str(error), error.body)
