"""The pure redirect decision, checked against independent oracles (urllib) with Hypothesis.

The properties users rely on: references resolve as RFC 3986 says, credentials reach only the
origin they were meant for, and only GET/HEAD are followed, a bounded number of times.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dicomkit.core.errors import TooManyRedirectsError
from dicomkit.core.interface import Headers, Request
from dicomkit.core.redirects import origin_of, redirect_request, resolve_reference

segments = st.sampled_from(["a", "b", "..", ".", "g;x", "c%20d"])
relative_paths = st.lists(segments, min_size=1, max_size=6).map("/".join)
queries = st.one_of(st.just(""), st.sampled_from(["?q", "?x=1&y=2"]))
local_references = st.one_of(
    st.tuples(relative_paths, queries).map("".join),
    st.tuples(relative_paths, queries).map(lambda t: "/" + "".join(t)),
)
authorities = st.sampled_from(["//other", "//Other:8080", "https://x", "http://y:81"])
bases = st.sampled_from(
    ["http://a/b/c/d;p?q", "https://h:8443/dicom-web/studies/1.2", "http://a", "http://a/"]
)


@given(bases, local_references)
def test_references_resolve_as_urllib_does(base: str, reference: str) -> None:
    assert resolve_reference(base, reference) == urljoin(base, reference)


@given(bases, authorities, relative_paths)
def test_references_with_an_authority_lose_their_dot_segments(
    base: str, authority: str, path: str
) -> None:
    # urllib leaves dot segments in such references; RFC 3986 5.2.2 removes them, as if the
    # path were resolved from the root of that authority.
    resolved = resolve_reference(base, f"{authority}/{path}")
    root = urljoin(base, authority + "/")
    assert resolved == urljoin(root, "/" + path)


hosts = st.sampled_from(["pacs", "PACS", "pacs.", "other", "[::1]", "127.0.0.1"])
ports = st.sampled_from(["", ":80", ":443", ":8042"])
schemes = st.sampled_from(["http", "https", "HTTP"])
userinfo = st.sampled_from(["", "u:p@"])


def _origin(url: str) -> tuple[str, str, int | None]:
    """The origin by urllib, default ports filled in: the oracle for origin_of."""
    parts = urlsplit(url)
    default = {"http": 80, "https": 443}[parts.scheme.lower()]
    host = (parts.hostname or "").rstrip(".")
    return parts.scheme.lower(), host, parts.port or default


@given(schemes, userinfo, hosts, ports, schemes, hosts, ports)
def test_credentials_follow_a_redirect_only_to_the_same_origin(
    scheme: str, user: str, host: str, port: str, to_scheme: str, to_host: str, to_port: str
) -> None:
    source = f"{scheme}://{user}{host}{port}/dicom-web/studies"
    target = f"{to_scheme}://{to_host}{to_port}/moved#frag"
    headers = Headers({"Authorization": "Bearer t", "Cookie": "c", "Host": "h", "Accept": "x"})
    request = Request("GET", source, headers)
    follow = redirect_request(
        request, 302, {"location": target}, redirects_followed=0, max_redirects=5
    )
    assert follow is not None
    assert follow.url == target.removesuffix("#frag")
    assert follow.method == "GET"
    assert follow.body is None
    assert "Host" not in follow.headers
    assert follow.headers["Accept"] == "x"
    same = _origin(source) == _origin(target)
    assert tuple(origin_of(source)) == _origin(source)
    assert ("Authorization" in follow.headers) is same
    assert ("Cookie" in follow.headers) is same
    assert request.headers["Authorization"] == "Bearer t"


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_only_get_and_head_are_followed(method: str) -> None:
    request = Request(method, "http://a/b", body=b"x")
    answer = Headers({"Location": "/c"})
    assert redirect_request(request, 307, answer, redirects_followed=0, max_redirects=5) is None
    head = Request("HEAD", "http://a/b")
    follow = redirect_request(head, 307, answer, redirects_followed=0, max_redirects=5)
    assert follow is not None
    assert follow.url == "http://a/c"


@pytest.mark.parametrize(
    ("status", "location"),
    [(200, "/c"), (304, "/c"), (302, None), (302, ""), (301, "ftp://a/c"), (308, "mailto:x")],
)
def test_final_answers(status: int, location: str | None) -> None:
    headers = {} if location is None else {"Location": location}
    request = Request("GET", "http://a/b")
    assert redirect_request(request, status, headers, redirects_followed=0, max_redirects=5) is None


def test_the_redirect_limit_is_enforced() -> None:
    request = Request("GET", "http://a/b")
    answer = {"Location": "/b"}
    assert redirect_request(request, 301, answer, redirects_followed=2, max_redirects=3)
    with pytest.raises(TooManyRedirectsError, match="more than 3"):
        redirect_request(request, 301, answer, redirects_followed=3, max_redirects=3)


@pytest.mark.parametrize("port", ["\u00b2", "9" * 5000])
def test_a_port_int_cannot_read_counts_as_the_default(port: str) -> None:
    assert origin_of(f"http://h:{port}/x") == ("http", "h", 80)
