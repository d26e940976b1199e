"""The contract's proxy cases: the same network settings on every backend.

Source of ``_proxies_sync.py`` (``scripts/unasync.py``). Every backend takes ``proxy=`` and, by
default, the standard ``http_proxy``/``https_proxy``/``no_proxy`` variables
(:class:`dicomkit.transports.support.Proxies`): plain HTTP goes through the proxy in absolute
form, HTTPS through a CONNECT tunnel, a host in ``no_proxy`` directly, and a proxy that is down
or says no is a dicomkit error.
"""

from __future__ import annotations

import json

import pytest

from dicomkit.core.errors import ConnectError, InvalidArgumentError
from dicomkit.core.interface import AsyncTransport, Request, Response, Timeout
from dicomkit.testing._contract_server import ContractServer
from dicomkit.testing.contract._proxy import ProxyServer
from dicomkit.testing.contract._support import (
    SHORT,
    contract_https,
    echoed_target,
    free_port,
    proxy_environment,
)
from dicomkit.testing.contract._tasks import Body, Factory

__all__ = ["AsyncProxyCases"]


def _proxied(received: bytes) -> bool:
    """Whether the contract server's JSON echo shows the request came through the proxy."""
    headers = json.loads(received)["headers"]
    return any(
        name.lower() == "via" and "dicomkit-contract-proxy" in value for name, value in headers
    )


async def _fetch(transport: AsyncTransport, request: Request) -> tuple[Response, bytes]:
    async with await transport.asend(request) as response:
        return response, await response.aread()


class AsyncProxyCases:
    """Mixed into AsyncTransportContract, whose ``_run`` builds, runs and closes a transport."""

    def _run(self, factory: Factory, body: Body) -> None:
        raise NotImplementedError  # the contract class's own

    def test_plain_http_goes_through_the_proxy_in_absolute_form(
        self,
        async_transport_factory: Factory,
        contract_server: ContractServer,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        proxy_environment(monkeypatch)
        # (an absolute-form target is the library's to encode: urllib3 writes ^ as %5E there)
        url = f"{contract_server.url}/echo?PatientName=Doe%5EJane&x=1"
        with ProxyServer() as proxy:

            async def body(transport: AsyncTransport) -> None:
                response, received = await _fetch(transport, Request("GET", url))
                assert response.status == 200
                assert _proxied(received), "proxy= was not used"
                assert echoed_target(received) == url[len(contract_server.url) :]

            self._run(lambda: async_transport_factory(proxy=proxy.url), body)
            assert proxy.seen == [("GET", url)], "not sent to the proxy in absolute form"

    def test_https_goes_through_a_connect_tunnel(
        self, async_transport_factory: Factory, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        proxy_environment(monkeypatch)
        https, files = contract_https()
        with ProxyServer() as proxy:

            async def body(transport: AsyncTransport) -> None:
                response, received = await _fetch(transport, Request("GET", f"{https.url}/echo"))
                assert response.status == 200
                assert echoed_target(received) == "/echo"

            self._run(lambda: async_transport_factory(proxy=proxy.url, verify=str(files.ca)), body)
            assert proxy.seen == [("CONNECT", f"127.0.0.1:{https.port}")]

    def test_environment_proxy_and_no_proxy(
        self,
        async_transport_factory: Factory,
        contract_server: ContractServer,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        through = f"{contract_server.url}/echo"
        direct = f"{contract_server.other_host_url}/echo"
        with ProxyServer() as proxy:
            proxy_environment(monkeypatch, http_proxy=proxy.url, no_proxy="localhost")

            async def body(transport: AsyncTransport) -> None:
                _, received = await _fetch(transport, Request("GET", through))
                assert _proxied(received), "http_proxy was not used"
                _, received = await _fetch(transport, Request("GET", direct))
                assert not _proxied(received), "no_proxy was not honoured"

            self._run(async_transport_factory, body)
            assert proxy.seen == [("GET", through)]

            async def none(transport: AsyncTransport) -> None:
                _, received = await _fetch(transport, Request("GET", through))
                assert not _proxied(received), "proxy=None still used a proxy"

            self._run(lambda: async_transport_factory(proxy=None), none)
            assert len(proxy.seen) == 1

    def test_proxy_failures_are_dicomkit_errors(
        self,
        async_transport_factory: Factory,
        contract_server: ContractServer,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        proxy_environment(monkeypatch)
        https, files = contract_https()
        down = f"http://127.0.0.1:{free_port()}"

        async def unreachable(transport: AsyncTransport) -> None:
            request = Request("GET", f"{contract_server.url}/echo", timeout=SHORT)
            with pytest.raises(ConnectError) as caught:
                await transport.asend(request)
            assert caught.value.__cause__ is not None

        self._run(lambda: async_transport_factory(proxy=down), unreachable)

        with ProxyServer(refuse=True) as proxy:

            async def refused(transport: AsyncTransport) -> None:
                tunnel = Request("GET", f"{https.url}/echo", timeout=Timeout(5.0, 5.0))
                with pytest.raises(ConnectError) as caught:
                    await transport.asend(tunnel)
                assert caught.value.__cause__ is not None
                # plain HTTP: the proxy's own answer is the response
                response, _ = await _fetch(transport, Request("GET", f"{contract_server.url}/"))
                assert response.status == 407

            self._run(
                lambda: async_transport_factory(proxy=proxy.url, verify=str(files.ca)), refused
            )

        with pytest.raises(InvalidArgumentError):
            async_transport_factory(proxy="socks5://127.0.0.1:1080")
