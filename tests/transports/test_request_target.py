"""The built-in sync backends write dicomkit's request target unchanged, and fall back safely."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
import urllib3
from hypothesis import given
from hypothesis import strategies as st

from dicomkit.core.interface import Request, Transport
from dicomkit.core.urls import encode_query
from dicomkit.testing._contract_server import ContractServer
from dicomkit.testing.contract._support import contract_server, echo_of, echoed_target
from dicomkit.transports import _verbatim
from dicomkit.transports._requests import RequestsTransport
from dicomkit.transports._urllib3 import Urllib3Transport

BACKENDS = [Urllib3Transport, RequestsTransport]


@pytest.fixture
def server() -> ContractServer:
    return contract_server()


@pytest.fixture(params=BACKENDS, ids=["urllib3", "requests"])
def transport(request: pytest.FixtureRequest) -> Iterator[Transport]:
    built: Transport = request.param()
    try:
        yield built
    finally:
        built.close()


def _target_seen(transport: Transport, url: str) -> str:
    with transport.send(Request("GET", url)) as response:
        assert response.status == 200
        return echoed_target(response.read())


@pytest.mark.parametrize(
    ("url", "target"),
    [
        ("http://h:1/a/b?x=^&y=*", "/a/b?x=^&y=*"),
        ("https://user@h/a?q=1#frag^", "/a?q=1"),
        ("http://h/", "/"),
        ("http://h/a?x=Doe Jane", None),
        ("http://h/a?x=\u00e9", None),
        ("http://h/a?x=\x7f", None),
        ("http://h", None),
        ("http://h?x=/y", None),
        ("/a?x=^", None),
    ],
)
def test_origin_target_only_for_targets_fit_for_the_wire(url: str, target: str | None) -> None:
    assert _verbatim.origin_target(url) == target


def test_with_target_keeps_scheme_and_authority() -> None:
    assert _verbatim.with_target("http://h:8/a%5E?b", "/a^?b") == "http://h:8/a^?b"
    assert _verbatim.with_target("not a url", "/x") == "not a url"


def test_this_urllib3_offers_the_hook() -> None:
    # Fails when a urllib3 upgrade changes the private hook: the backends then re-encode.
    classes = _verbatim.pool_classes()
    assert classes is not None
    assert issubclass(classes["http"], urllib3.HTTPConnectionPool)
    assert issubclass(classes["https"], urllib3.HTTPSConnectionPool)


def test_owned_pools_use_the_hook_and_callers_pools_are_left_alone() -> None:
    classes = _verbatim.pool_classes()
    own = Urllib3Transport()
    mine = urllib3.PoolManager()
    theirs = Urllib3Transport(pool_manager=mine)
    session = requests.Session()
    try:
        assert own._pool.pool_classes_by_scheme == classes
        assert mine.pool_classes_by_scheme is urllib3.poolmanager.pool_classes_by_scheme
        RequestsTransport(session=session).close()
        assert session.get_adapter("http://h").poolmanager.pool_classes_by_scheme != classes
    finally:
        own.close()
        theirs.close()
        session.close()


def test_changed_hook_signature_disables_the_hook(monkeypatch: pytest.MonkeyPatch) -> None:
    def renamed(self: object, connection: object, method: str, target: str) -> None: ...

    monkeypatch.setattr(urllib3.HTTPConnectionPool, "_make_request", renamed)
    assert _verbatim.pool_classes.__wrapped__() is None


@pytest.mark.parametrize("backend", BACKENDS, ids=["urllib3", "requests"])
def test_without_the_hook_requests_still_work(
    backend: type[Transport], server: ContractServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_verbatim, "pool_classes", lambda: None)
    transport = backend()
    try:
        assert _target_seen(transport, f"{server.url}/echo?a=^") == "/echo?a=%5E"
    finally:
        transport.close()


def test_a_different_request_keeps_urllib3s_target(server: ContractServer) -> None:
    classes = _verbatim.pool_classes()
    assert classes is not None
    pool = classes["http"]("127.0.0.1", server.port, retries=False)
    try:
        with _verbatim.sending("/elsewhere?a=^"):
            answer = pool.urlopen("GET", "/echo?a=^")
        assert echoed_target(answer.data) == "/echo?a=%5E"
        with _verbatim.sending("/echo?a=^"):
            answer = pool.urlopen("GET", "/echo?a=^")
        assert echoed_target(answer.data) == "/echo?a=^"
    finally:
        pool.close()


_PAIRS = st.lists(
    st.tuples(st.sampled_from(["PatientName", "00100020", "StudyDescription"]), st.text()),
    min_size=1,
    max_size=4,
)


def test_any_query_dicomkit_builds_arrives_unchanged(
    transport: Transport, server: ContractServer
) -> None:
    @given(_PAIRS)
    def exchange(pairs: list[tuple[str, str]]) -> None:
        target = f"/echo?{encode_query(pairs)}"
        assert _target_seen(transport, server.url + target) == target

    exchange()


def test_a_callers_session_is_used_through_its_own_request(server: ContractServer) -> None:
    class TokenSession(requests.Session):
        def request(self, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
            kwargs["headers"] = {**kwargs.get("headers", {}), "Authorization": "Bearer t"}
            return super().request(*args, **kwargs)

    with TokenSession() as session:
        transport = RequestsTransport(session=session)
        with transport.send(Request("GET", f"{server.url}/echo?a=1")) as response:
            response.read()
        transport.close()
    assert echo_of(response)["headers"].get("Authorization") == "Bearer t"
