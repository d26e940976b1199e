"""A server's malformed redirect is a dicomkit error on every backend, never a library's own.

requests and httpx work out the next hop of every 3xx even when told not to follow it, and
each library fails on a bad ``Location`` in its own way (``ValueError``, ``UnicodeError``,
an ``ExceptionGroup`` around ``OverflowError``). A raw socket server sends the exact bytes.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator

import pytest

from dicomkit import AsyncDicomClient, DicomClient
from dicomkit.core.errors import DicomkitError

LOCATIONS = {
    "unclosed-ipv6": b"http://[::1/x",
    "not-utf8": b"/\xff\xc3x",
    "port-out-of-range": b"http://127.0.0.1:99999/x",
    "port-superscript": b"http://127.0.0.1:\xc2\xb2/x",
    "label-too-long": b"http://" + b"a" * 300 + b".example/x",
    "empty-a-label": b"http://xn--/x",
}


@pytest.fixture
def redirecting_server() -> Iterator[tuple[str, list[bytes]]]:
    """A loopback server answering every request with a 302 to ``location[0]``."""
    location = [b""]
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                continue
            with connection:
                connection.settimeout(5)
                try:
                    connection.recv(65536)
                    connection.sendall(
                        b"HTTP/1.1 302 Found\r\nLocation: " + location[0] + b"\r\n"
                        b"Content-Length: 0\r\nConnection: close\r\n\r\n"
                    )
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/dicom-web", location
    finally:
        stop.set()
        thread.join()
        listener.close()


@pytest.mark.parametrize("location", LOCATIONS.values(), ids=LOCATIONS.keys())
@pytest.mark.parametrize("transport", ["requests", "urllib3", "httpx"])
def test_sync_backends(
    redirecting_server: tuple[str, list[bytes]], transport: str, location: bytes
) -> None:
    url, answer = redirecting_server
    answer[0] = location
    client = DicomClient(url, transport=transport, retry=1)
    with client, pytest.raises(DicomkitError):
        client.search_for_studies()


def test_a_callers_requests_session_is_protected_too(
    redirecting_server: tuple[str, list[bytes]],
) -> None:
    import requests

    from dicomkit.transports._requests import RequestsTransport

    url, answer = redirecting_server
    answer[0] = LOCATIONS["unclosed-ipv6"]
    seen: list[int] = []
    with requests.Session() as session:
        session.hooks["response"].append(lambda r, **_: seen.append(r.status_code))
        transport = RequestsTransport(session=session)
        client = DicomClient(url, transport=transport, retry=1)
        with client, pytest.raises(DicomkitError):
            client.search_for_studies()
    assert seen == [302]  # the session's own hooks still run


@pytest.mark.parametrize("location", LOCATIONS.values(), ids=LOCATIONS.keys())
@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
def test_async_backends(
    redirecting_server: tuple[str, list[bytes]], transport: str, location: bytes
) -> None:
    url, answer = redirecting_server
    answer[0] = location

    async def search() -> None:
        async with AsyncDicomClient(url, transport=transport, retry=1) as client:
            await client.search_for_studies()

    with pytest.raises(DicomkitError):
        asyncio.run(search())
