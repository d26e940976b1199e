"""Pins for the library internals the built-in backends rely on (docs/transports.md, "Private
internals we rely on"). Each test fails loudly when a release inside the declared range changes
what it checks, or when an installed release is outside that range.
"""

from __future__ import annotations

import importlib.metadata
import io
from typing import Any

import pytest
import requests
import urllib3
from packaging.requirements import Requirement

from dicomkit.transports import _verbatim
from dicomkit.transports._requests import RequestsTransport, _hide_location
from dicomkit.transports.support import SizedBody


def _declared(name: str) -> Requirement:
    for line in importlib.metadata.requires("dicomkit") or []:
        requirement = Requirement(line)
        if requirement.name == name and requirement.marker is None:
            return requirement
    raise AssertionError(f"dicomkit does not depend on {name}")


@pytest.mark.parametrize(("name", "module"), [("urllib3", urllib3), ("requests", requests)])
def test_the_installed_release_is_one_the_pins_were_checked_with(name: str, module: Any) -> None:
    requirement = _declared(name)
    assert requirement.specifier, f"{name} needs an upper bound: its internals are pinned"
    assert any(spec.operator == "<" for spec in requirement.specifier), requirement
    assert requirement.specifier.contains(module.__version__), (name, module.__version__)


def test_urllib3_still_re_encodes_targets_so_the_verbatim_pools_are_still_needed() -> None:
    # If this fails, urllib3 sends "^" as is: remove dicomkit/transports/_verbatim.py.
    from urllib3.util.url import _encode_target

    assert _encode_target("/studies?PatientName=Doe^Jane") == "/studies?PatientName=Doe%5EJane"
    assert _verbatim.pool_classes() is not None, "urllib3's _make_request hook changed"


def _own_and_requests_preparation(
    method: str, url: str, headers: dict[str, str], data: Any
) -> tuple[requests.PreparedRequest, requests.PreparedRequest]:
    transport = RequestsTransport()
    try:
        ours = transport._prepare(method, url, headers, data)
        theirs = transport._session.prepare_request(
            requests.Request(method, url, headers=headers, data=data)
        )
    finally:
        transport.close()
    return ours, theirs


@pytest.mark.parametrize(
    ("method", "data"),
    [("GET", None), ("POST", b"abc"), ("POST", b""), ("DELETE", None)],
)
def test_own_preparation_matches_requests(
    method: str, data: bytes | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """RequestsTransport._prepare unrolls Session.prepare_request for our own session.

    If this fails, requests' preparation changed: update ``_prepare`` to match it.
    """
    monkeypatch.setenv("NETRC", "/nonexistent/netrc")  # dicomkit never reads .netrc
    url = "http://127.0.0.1:8042/dicom-web/studies?limit=1"
    headers = {"Accept": "application/dicom+json", "X-Trace": "1"}
    ours, theirs = _own_and_requests_preparation(method, url, headers, data)
    assert (ours.method, ours.url, ours.body) == (theirs.method, theirs.url, theirs.body)
    assert dict(ours.headers) == dict(theirs.headers)
    assert ours.hooks == theirs.hooks


def test_own_preparation_of_a_streamed_body_matches_requests(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from dicomkit.core.interface import Request, StreamBody

    monkeypatch.setenv("NETRC", "/nonexistent/netrc")
    url = "http://127.0.0.1:8042/dicom-web/studies"
    for length in (None, 3):
        request = Request("POST", url, body=StreamBody(lambda: iter([b"abc"]), length=length))
        ours, theirs = _own_and_requests_preparation("POST", url, {}, SizedBody(request))
        assert dict(ours.headers) == dict(theirs.headers)


class _RedirectingAdapter(requests.adapters.BaseAdapter):
    """Answers every request with a 302 whose Location no URL parser accepts."""

    def send(self, request: requests.PreparedRequest, **_: Any) -> requests.Response:
        answer = requests.Response()
        answer.status_code = 302
        answer.headers = requests.structures.CaseInsensitiveDict({"Location": "http://[::1/x"})
        answer.raw = io.BytesIO(b"the body")
        answer.url = request.url or ""
        answer.request = request
        return answer

    def close(self) -> None:
        pass


def test_requests_still_parses_location_when_not_following() -> None:
    """Why a caller's session gets the ``_hide_location`` hook.

    If the first half fails, ``Session.send(allow_redirects=False)`` no longer works out the
    next hop: remove ``_hide_location``.
    """
    with requests.Session() as session:
        session.mount("http://", _RedirectingAdapter())
        with pytest.raises(ValueError, match="IPv6"):
            session.get("http://h/", allow_redirects=False, stream=True)
        answer = session.get(
            "http://h/", allow_redirects=False, stream=True, hooks={"response": [_hide_location]}
        )
    assert answer.status_code == 302
    assert answer.raw.read() == b"the body"  # left for dicomkit to read or drain
