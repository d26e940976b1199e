"""A caller's own session (issue 16.4): options it would silently ignore are refused, and one
rule says how auth, User-Agent and header fields combine with it, on every backend."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from dicomkit.core import errors
from dicomkit.core.interface import AsyncTransport, Headers, Request, Transport
from dicomkit.core.version import USER_AGENT
from dicomkit.testing._contract_server import ContractServer
from dicomkit.testing.contract._support import contract_server, echo_of
from tests._support.ci import require_module

pytestmark = [  # aiohttp 3.14 deprecates the session auth the issue is about
    pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The 'auth' parameter is deprecated:DeprecationWarning"),
]

BASIC = "Basic " + base64.b64encode(b"user:pw").decode()


@dataclass
class Kind:
    """How to build a backend over a session of the caller's."""

    name: str
    make: Callable[[dict[str, str], bool], Any]  # (default headers, with auth) -> session
    transport: Callable[..., Any]  # (session, **options) -> transport
    asynchronous: bool = False


def _requests() -> Kind:
    import requests

    from dicomkit.transports import RequestsTransport

    def make(headers: dict[str, str], auth: bool) -> Any:
        session = requests.Session()
        session.headers.update(headers)
        session.auth = ("user", "pw") if auth else None
        return session

    return Kind("requests", make, lambda s, **o: RequestsTransport(session=s, **o))


def _urllib3() -> Kind:
    import urllib3

    from dicomkit.transports import Urllib3Transport

    def make(headers: dict[str, str], auth: bool) -> Any:
        fields = dict(headers, **({"Authorization": BASIC} if auth else {}))
        return urllib3.PoolManager(headers=fields)

    return Kind("urllib3", make, lambda s, **o: Urllib3Transport(pool_manager=s, **o))


def _httpx() -> Kind:
    httpx = require_module("httpx")
    from dicomkit_httpx import HttpxTransport

    def make(headers: dict[str, str], auth: bool) -> Any:
        return httpx.Client(headers=headers, auth=("user", "pw") if auth else None)

    return Kind("httpx", make, lambda s, **o: HttpxTransport(client=s, **o))


def _httpx_async() -> Kind:
    httpx = require_module("httpx")
    from dicomkit_httpx import HttpxTransport

    def make(headers: dict[str, str], auth: bool) -> Any:
        return httpx.AsyncClient(headers=headers, auth=("user", "pw") if auth else None)

    return Kind("httpx-async", make, lambda s, **o: HttpxTransport(async_client=s, **o), True)


def _aiohttp() -> Kind:
    aiohttp = require_module("aiohttp")
    from dicomkit_aiohttp import AiohttpTransport

    def make(headers: dict[str, str], auth: bool) -> Any:
        basic = aiohttp.BasicAuth("user", "pw") if auth else None
        return aiohttp.ClientSession(headers=headers, auth=basic, raise_for_status=True)

    return Kind("aiohttp", make, lambda s, **o: AiohttpTransport(session=s, **o), True)


KINDS = [_requests, _urllib3, _httpx, _httpx_async, _aiohttp]


@pytest.fixture(params=KINDS, ids=lambda k: k.__name__.strip("_").replace("_", "-"))
def kind(request: pytest.FixtureRequest) -> Kind:
    return request.param()  # type: ignore[no-any-return]


def _exchange(kind: Kind, request: Request, headers: dict[str, str], auth: bool) -> Any:
    """Send ``request`` through a transport over a fresh caller's session; the answer."""
    if not kind.asynchronous:
        session = kind.make(headers, auth)
        transport: Transport = kind.transport(session)
        with transport.send(request) as response:
            response.read()
        transport.close()
        (getattr(session, "close", None) or session.clear)()
        return response

    async def run() -> Any:
        session = kind.make(headers, auth)
        atransport: AsyncTransport = kind.transport(session)
        try:
            async with await atransport.asend(request) as answer:
                await answer.aread()
            return answer
        finally:
            await atransport.aclose()
            closing = getattr(session, "aclose", None) or session.close
            await closing()

    return asyncio.run(run())


def _server() -> ContractServer:
    return contract_server()


@pytest.mark.parametrize("option", [{"verify": False}, {"cert": "c.pem"}, {"pool_maxsize": 1}])
def test_options_a_callers_session_would_ignore_are_refused(kind: Kind, option: dict[str, Any]):
    async def build() -> None:
        session = kind.make({}, False)
        try:
            with pytest.raises(errors.InvalidArgumentError, match=f"{next(iter(option))}="):
                kind.transport(session, **option)
        finally:
            closing = getattr(session, "aclose", None) or getattr(session, "close", None)
            if closing is not None:
                result = closing()
                if asyncio.iscoroutine(result):
                    await result

    asyncio.run(build())


def test_trust_env_with_a_callers_session_is_refused() -> None:
    httpx = require_module("httpx")
    aiohttp = require_module("aiohttp")
    from dicomkit_aiohttp import AiohttpTransport
    from dicomkit_httpx import HttpxTransport

    with httpx.Client() as client, pytest.raises(errors.InvalidArgumentError, match="trust_env="):
        HttpxTransport(client=client, trust_env=False)

    async def aiohttp_session() -> None:
        async with aiohttp.ClientSession() as session:
            with pytest.raises(errors.InvalidArgumentError, match="trust_env="):
                AiohttpTransport(session=session, trust_env=True)

    asyncio.run(aiohttp_session())


def test_session_fields_are_sent_and_the_requests_win(kind: Kind) -> None:
    request = Request(
        "GET", f"{_server().url}/echo", Headers({"X-Both": "client", "User-Agent": USER_AGENT})
    )
    answer = _exchange(kind, request, {"X-Both": "session", "X-Session": "1"}, False)
    seen = echo_of(answer)["headers"]
    assert seen.get("X-Both") == "client"
    assert seen.get("X-Session") == "1"
    assert seen.get("User-Agent") == USER_AGENT  # the library's stock agent gives way to ours


def test_a_user_agent_set_on_the_session_beats_dicomkits_default(kind: Kind) -> None:
    url = f"{_server().url}/echo"
    default = Request("GET", url, Headers({"User-Agent": USER_AGENT}))
    answer = _exchange(kind, default, {"User-Agent": "my-app/1"}, False)
    assert echo_of(answer)["headers"].get("User-Agent") == "my-app/1"
    explicit = Request("GET", url, Headers({"User-Agent": "from-client-headers/2"}))
    answer = _exchange(kind, explicit, {"User-Agent": "my-app/1"}, False)
    assert echo_of(answer)["headers"].get("User-Agent") == "from-client-headers/2"


def test_credentials_in_two_places_are_refused(kind: Kind) -> None:
    request = Request("GET", f"{_server().url}/echo", Headers({"Authorization": "Bearer t"}))
    with pytest.raises(errors.InvalidArgumentError, match="credentials in two places"):
        _exchange(kind, request, {}, True)


def test_the_sessions_own_auth_applies_when_the_client_has_none(kind: Kind) -> None:
    answer = _exchange(kind, Request("GET", f"{_server().url}/echo"), {}, True)
    assert echo_of(answer)["headers"].get("Authorization") == BASIC


def test_error_statuses_reach_dicomkit_even_from_a_raise_for_status_session(kind: Kind) -> None:
    answer = _exchange(kind, Request("GET", f"{_server().url}/echo?status=404"), {}, False)
    assert answer.status == 404


def test_a_raise_for_status_session_gives_the_clients_own_errors(dicomweb_server: Any) -> None:
    aiohttp = require_module("aiohttp")
    from dicomkit_aiohttp import AiohttpTransport

    from dicomkit import AsyncDicomClient

    async def run() -> None:
        async with aiohttp.ClientSession(raise_for_status=True) as session:
            transport = AiohttpTransport(session=session)
            async with AsyncDicomClient(dicomweb_server.url, transport=transport) as client:
                with pytest.raises(errors.NotFoundError):
                    await client.retrieve_study_metadata("1.2.3.4")

    asyncio.run(run())
