"""The shared redirect decision: RFC 3986 resolution, which answers are followed, credentials."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dicomkit.core.errors import TooManyRedirectsError
from dicomkit.core.interface import Headers, Request, Timeout
from dicomkit.core.redirects import origin_of, redirect_request, resolve_reference

BASE = "http://a/b/c/d;p?q"

# RFC 3986 section 5.4: normal and abnormal examples.
RFC_EXAMPLES = [
    ("g:h", "g:h"),
    ("g", "http://a/b/c/g"),
    ("./g", "http://a/b/c/g"),
    ("g/", "http://a/b/c/g/"),
    ("/g", "http://a/g"),
    ("//g", "http://g"),
    ("?y", "http://a/b/c/d;p?y"),
    ("g?y", "http://a/b/c/g?y"),
    ("#s", "http://a/b/c/d;p?q#s"),
    ("g#s", "http://a/b/c/g#s"),
    ("g?y#s", "http://a/b/c/g?y#s"),
    (";x", "http://a/b/c/;x"),
    ("g;x", "http://a/b/c/g;x"),
    ("g;x?y#s", "http://a/b/c/g;x?y#s"),
    ("", "http://a/b/c/d;p?q"),
    (".", "http://a/b/c/"),
    ("./", "http://a/b/c/"),
    ("..", "http://a/b/"),
    ("../", "http://a/b/"),
    ("../g", "http://a/b/g"),
    ("../..", "http://a/"),
    ("../../", "http://a/"),
    ("../../g", "http://a/g"),
    ("../../../g", "http://a/g"),
    ("../../../../g", "http://a/g"),
    ("/./g", "http://a/g"),
    ("/../g", "http://a/g"),
    ("g.", "http://a/b/c/g."),
    (".g", "http://a/b/c/.g"),
    ("g..", "http://a/b/c/g.."),
    ("..g", "http://a/b/c/..g"),
    ("./../g", "http://a/b/g"),
    ("./g/.", "http://a/b/c/g/"),
    ("g/./h", "http://a/b/c/g/h"),
    ("g/../h", "http://a/b/c/h"),
    ("g;x=1/./y", "http://a/b/c/g;x=1/y"),
    ("g;x=1/../y", "http://a/b/c/y"),
    ("g?y/./x", "http://a/b/c/g?y/./x"),
    ("g?y/../x", "http://a/b/c/g?y/../x"),
    ("g#s/./x", "http://a/b/c/g#s/./x"),
    ("g#s/../x", "http://a/b/c/g#s/../x"),
    ("http:g", "http:g"),
]


@pytest.mark.parametrize(("reference", "expected"), RFC_EXAMPLES)
def test_resolve_reference_matches_rfc3986_examples(reference: str, expected: str) -> None:
    assert resolve_reference(BASE, reference) == expected


def test_resolve_against_base_with_empty_path() -> None:
    assert resolve_reference("http://h:8080", "x?y") == "http://h:8080/x?y"


@given(st.from_regex(r"\A[a-z0-9/.]{0,30}\Z"))
def test_resolved_paths_never_keep_dot_segments(reference: str) -> None:
    resolved = resolve_reference("http://h/a/b/c", reference.lstrip("/") or ".")
    path = resolved[len("http://h") :]
    assert path.startswith("/")
    assert "/./" not in path + "/" or path.endswith("/./") is False
    assert all(segment not in (".", "..") for segment in path.split("/")[1:-1])


def test_origin_normalises_default_ports_case_and_userinfo() -> None:
    assert origin_of("http://User:pw@Example.COM/x") == origin_of("http://example.com:80/y")
    assert origin_of("https://example.com") != origin_of("http://example.com")
    assert origin_of("http://[::1]:8042/x") == ("http", "::1", 8042)
    assert origin_of("http://127.0.0.1:1/") != origin_of("http://localhost:1/")


def _request(method: str = "GET", url: str = "http://127.0.0.1:8042/a/b") -> Request:
    headers = Headers(
        [
            ("Authorization", "Bearer x"),
            ("Proxy-Authorization", "Basic y"),
            ("Cookie", "c=1"),
            ("Accept", "application/dicom+json"),
            ("Host", "127.0.0.1:8042"),
        ]
    )
    return Request(method, url, headers, None, Timeout(1.0, 2.0))


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_same_origin_redirect_keeps_credentials(status: int, method: str) -> None:
    nxt = redirect_request(
        _request(method),
        status,
        Headers({"Location": "../c?x=1#frag"}),
        redirects_followed=0,
        max_redirects=10,
    )
    assert nxt is not None
    assert nxt.method == method
    assert nxt.url == "http://127.0.0.1:8042/c?x=1"
    assert nxt.headers.get("Authorization") == "Bearer x"
    assert nxt.headers.get("Cookie") == "c=1"
    assert "Host" not in nxt.headers
    assert nxt.body is None
    assert nxt.timeout == Timeout(1.0, 2.0)


@pytest.mark.parametrize(
    "location",
    ["http://localhost:8042/a", "https://127.0.0.1:8042/a", "http://127.0.0.1:8043/a", "//evil/a"],
)
def test_cross_origin_redirect_drops_credentials(location: str) -> None:
    nxt = redirect_request(
        _request(), 302, {"location": location}, redirects_followed=0, max_redirects=10
    )
    assert nxt is not None
    for name in ("Authorization", "Proxy-Authorization", "Cookie"):
        assert name not in nxt.headers
    assert nxt.headers.get("Accept") == "application/dicom+json"


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_other_methods_are_not_followed(method: str) -> None:
    answer = redirect_request(
        _request(method), 302, {"Location": "/x"}, redirects_followed=0, max_redirects=10
    )
    assert answer is None


@pytest.mark.parametrize("status", [200, 300, 304, 305, 306, 404, 500])
def test_other_statuses_are_final(status: int) -> None:
    assert (
        redirect_request(
            _request(), status, {"Location": "/x"}, redirects_followed=0, max_redirects=10
        )
        is None
    )


def test_missing_location_or_foreign_scheme_is_final() -> None:
    assert redirect_request(_request(), 302, {}, redirects_followed=0, max_redirects=10) is None
    assert (
        redirect_request(
            _request(), 302, {"Location": "ftp://h/x"}, redirects_followed=0, max_redirects=10
        )
        is None
    )


def test_limit_raises_too_many_redirects() -> None:
    headers = {"Location": "/again"}
    assert redirect_request(_request(), 302, headers, redirects_followed=2, max_redirects=3)
    with pytest.raises(TooManyRedirectsError):
        redirect_request(_request(), 302, headers, redirects_followed=3, max_redirects=3)
    with pytest.raises(TooManyRedirectsError):
        redirect_request(_request(), 302, headers, redirects_followed=0, max_redirects=0)
