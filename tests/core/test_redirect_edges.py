"""Redirect references the policy tests never try: an empty Location, a query or a fragment only,
scheme-relative and IPv6 targets, ports, and the exact request that is sent next."""

from __future__ import annotations

import pytest

from dicomkit.core.errors import TooManyRedirectsError
from dicomkit.core.interface import Headers, Request, Timeout
from dicomkit.core.redirects import (
    FOLLOWED_METHODS,
    REDIRECT_STATUSES,
    SENSITIVE_HEADERS,
    redirect_request,
)

URL = "http://h:8042/dw/studies?x=1#top"
TIMEOUT = Timeout(connect=1, read=2)
ALL = [("Authorization", "a"), ("Cookie", "c"), ("X", "y")]
PUBLIC = [("X", "y")]


def _request(method: str = "GET") -> Request:
    headers = [("Authorization", "a"), ("Host", "h"), ("Cookie", "c"), ("X", "y")]
    return Request(method, URL, headers=headers, timeout=TIMEOUT)


def _follow(location: str, status: int = 302, method: str = "GET") -> Request | None:
    return redirect_request(
        _request(method),
        status,
        {"Location": location},
        redirects_followed=0,
        max_redirects=5,
    )


def test_the_constants():
    assert frozenset({301, 302, 303, 307, 308}) == REDIRECT_STATUSES
    assert frozenset({"GET", "HEAD"}) == FOLLOWED_METHODS
    assert SENSITIVE_HEADERS == ("Authorization", "Proxy-Authorization", "Cookie")


@pytest.mark.parametrize(
    ("location", "url", "headers"),
    [
        ("?y=2", "http://h:8042/dw/studies?y=2", ALL),  # empty path: same path, new query
        ("#frag", "http://h:8042/dw/studies?x=1", ALL),  # a fragment only: never sent
        ("/other#f", "http://h:8042/other", ALL),
        ("next", "http://h:8042/dw/next", ALL),
        ("//h:8042/p", "http://h:8042/p", ALL),  # scheme-relative, same origin
        ("http://H:8042/z", "http://H:8042/z", ALL),  # host names compare case-insensitively
        ("//other/p", "http://other/p", PUBLIC),
        ("https://h:8042/s", "https://h:8042/s", PUBLIC),  # another scheme is another origin
        ("http://h:80/", "http://h:80/", PUBLIC),  # another port too
        ("http://h:08042/", "http://h:08042/", ALL),  # five digits, the same port
        ("http://[::1]:8042/v", "http://[::1]:8042/v", PUBLIC),
    ],
)
def test_the_next_request(location, url, headers):
    following = _follow(location)
    assert following is not None
    assert following.method == "GET"
    assert following.url == url
    assert list(following.headers.items()) == headers
    assert following.body is None
    assert following.timeout == TIMEOUT


def test_the_original_request_is_untouched():
    request = _request()
    redirect_request(request, 302, {"Location": "//other/"}, redirects_followed=0, max_redirects=1)
    assert request.headers.get("Authorization") == "a"
    assert request.headers.get("Host") == "h"


@pytest.mark.parametrize("location", ["", "ftp://h/x", "mailto:a@b", "data:,x"])
def test_nothing_to_follow(location):
    assert _follow(location) is None


@pytest.mark.parametrize("status", [300, 304, 305, 306, 200, 404])
def test_not_a_followed_status(status):
    assert _follow("/x", status=status) is None


@pytest.mark.parametrize("status", sorted(REDIRECT_STATUSES))
def test_every_redirect_status_is_followed_for_head(status):
    following = _follow("/x", status=status, method="HEAD")
    assert following is not None
    assert following.method == "HEAD"


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_other_methods_are_not_followed(method):
    assert _follow("/x", method=method) is None


def test_location_header_names_are_case_insensitive():
    for headers in ({"location": "/a"}, {"LOCATION": "/a"}, Headers([("lOcAtIoN", "/a")])):
        following = redirect_request(
            _request(), 301, headers, redirects_followed=0, max_redirects=1
        )
        assert following is not None
        assert following.url == "http://h:8042/a"
    assert redirect_request(_request(), 301, {}, redirects_followed=0, max_redirects=1) is None


def test_the_limit_is_exact_and_the_message_names_both_ends():
    last = redirect_request(
        _request(), 302, {"Location": "/a"}, redirects_followed=2, max_redirects=3
    )
    assert last is not None
    with pytest.raises(TooManyRedirectsError) as caught:
        redirect_request(_request(), 302, {"Location": "/a"}, redirects_followed=3, max_redirects=3)
    assert str(caught.value) == (
        f"more than 3 redirects, the last one from {URL} to http://h:8042/a"
    )


def test_no_redirect_at_all_with_a_limit_of_zero():
    with pytest.raises(TooManyRedirectsError, match="more than 0 redirects"):
        redirect_request(_request(), 307, {"Location": "/a"}, redirects_followed=0, max_redirects=0)
