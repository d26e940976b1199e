"""An answer whose head is cut at a line boundary, then a clean close, must not read as a
complete empty answer. Found by ``nox -s chaos -- --seed 4242``: through requests and urllib3
(http.client ends a head at end of file as if the blank line had come), a search answered []
while the server held two instances, and a store returned a success that acknowledged nothing
while the server held both files. Fixed for the pools dicomkit builds
(dicomkit/transports/_heads.py); the contract case
``test_a_head_cut_at_a_line_boundary_is_connection_lost`` checks every backend."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator

import pytest

from dicomkit import AsyncDicomClient, DicomClient
from dicomkit.core.errors import ConnectionLostError
from dicomkit.testing.data import make_instance

HEAD_LINES = b"HTTP/1.1 200 OK\r\nContent-Type: application/dicom+json\r\n"


@pytest.fixture
def cut_head_server() -> Iterator[str]:
    """A server that answers every request with status line and headers, then closes."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.1)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.recv(65536)
                conn.sendall(HEAD_LINES)
                conn.shutdown(socket.SHUT_WR)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join()
    listener.close()


@pytest.mark.parametrize("backend", ["requests", "urllib3", "httpx", "stdlib"])
@pytest.mark.parametrize("operation", ["search", "store"])
def test_a_cut_head_is_a_lost_connection_sync(
    cut_head_server: str, backend: str, operation: str
) -> None:
    """A search must not answer [], a store must not return a success acknowledging nothing."""
    with DicomClient(cut_head_server, transport=backend, retry=False) as client:
        call = (
            client.search_for_studies
            if operation == "search"
            else lambda: client.store_instances([make_instance()])
        )
        with pytest.raises(ConnectionLostError):
            call()


@pytest.mark.parametrize("backend", ["aiohttp", "httpx"])
def test_a_cut_head_is_a_lost_connection_async(cut_head_server: str, backend: str) -> None:
    async def search() -> None:
        async with AsyncDicomClient(cut_head_server, transport=backend, retry=False) as client:
            await client.search_for_studies()

    with pytest.raises(ConnectionLostError):
        asyncio.run(search())
