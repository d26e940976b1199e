"""verify=, cert= and proxy= reach the transport from DicomClient and AsyncDicomClient.

End to end on real HTTP: the reference server and Orthanc, through the contract suite's
loopback proxy, on every backend of each flavour.
"""

from __future__ import annotations

import asyncio
import pickle
from typing import Any

import pytest

from dicomkit import AsyncDicomClient, DicomClient
from dicomkit.core.errors import InvalidArgumentError
from dicomkit.testing.contract._proxy import ProxyServer
from dicomkit.testing.contract._support import proxy_environment
from dicomkit.transports import RequestsTransport

SYNC = ["requests", "urllib3", "httpx"]
ASYNC = ["aiohttp", "httpx"]


def _through_proxy(url: str, proxy: ProxyServer) -> bool:
    return any(method == "GET" and target.startswith(url) for method, target in proxy.seen)


def _search(url: str, transport: str, **options: Any) -> list[Any]:
    with DicomClient(url, transport=transport, **options) as client:
        return list(client.search_for_studies())


def _asearch(url: str, transport: str, **options: Any) -> list[Any]:
    async def run() -> list[Any]:
        async with AsyncDicomClient(url, transport=transport, **options) as client:
            return list(await client.search_for_studies())

    return asyncio.run(run())


@pytest.mark.parametrize(
    ("search", "transport"),
    [*((_search, name) for name in SYNC), *((_asearch, name) for name in ASYNC)],
)
def test_proxy_option_and_environment_reach_every_backend(
    dicomweb_server: Any, monkeypatch: pytest.MonkeyPatch, search: Any, transport: str
) -> None:
    proxy_environment(monkeypatch)
    with ProxyServer() as proxy:
        assert search(dicomweb_server.url, transport, proxy=proxy.url) == []
        assert _through_proxy(dicomweb_server.url, proxy)
    with ProxyServer() as proxy:
        proxy_environment(monkeypatch, http_proxy=proxy.url)
        assert search(dicomweb_server.url, transport) == []
        assert _through_proxy(dicomweb_server.url, proxy), "http_proxy was ignored"
        seen = len(proxy.seen)
        assert search(dicomweb_server.url, transport, proxy=None) == []
        assert len(proxy.seen) == seen, "proxy=None still went through the proxy"


@pytest.mark.parametrize(
    ("search", "transport"),
    [*((_search, name) for name in SYNC), *((_asearch, name) for name in ASYNC)],
)
def test_orthanc_through_a_proxy(
    orthanc: Any, monkeypatch: pytest.MonkeyPatch, search: Any, transport: str
) -> None:
    proxy_environment(monkeypatch)
    with ProxyServer() as proxy:
        assert search(orthanc.url, transport, proxy=proxy.url, dialect="orthanc") == []
        assert _through_proxy(orthanc.url, proxy)


def test_network_options_join_transport_options_and_travel_in_the_config() -> None:
    client = DicomClient(
        "http://127.0.0.1:1/dicom-web",
        transport="urllib3",
        transport_options={"pool_maxsize": 4},
        verify="/etc/ssl/ca.pem",
        cert=("/c.pem", "/k.pem"),
        proxy="http://proxy:3128",
    )
    with client:
        options = client.config.transport_options
        assert options == {
            "pool_maxsize": 4,
            "verify": "/etc/ssl/ca.pem",
            "cert": ("/c.pem", "/k.pem"),
            "proxy": "http://proxy:3128",
        }
        assert pickle.loads(pickle.dumps(client.config)).transport_options == options
    with DicomClient("http://127.0.0.1:1", transport="urllib3", proxy=None) as client:
        assert client.config.transport_options == {"proxy": None}
    with DicomClient("http://127.0.0.1:1", transport="urllib3") as client:
        assert client.config.transport_options == {}


def test_a_network_option_given_twice_or_with_an_instance_is_refused() -> None:
    with pytest.raises(InvalidArgumentError, match="verify given twice"):
        DicomClient("http://127.0.0.1:1", transport_options={"verify": False}, verify=False)
    with RequestsTransport() as transport, pytest.raises(InvalidArgumentError, match="proxy"):
        DicomClient("http://127.0.0.1:1", transport=transport, proxy="http://proxy:3128")
