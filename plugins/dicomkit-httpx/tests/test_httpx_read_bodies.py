"""A caller's httpx client whose transport hands over bodies httpx has read already.

``httpx.Response(200, content=b"...")`` (what an ``httpx.MockTransport`` handler usually
returns) reads its body when it is built: the raw stream is consumed, and httpx keeps only the
bytes. Streaming that answer's raw stream raised ``StreamConsumed`` (seen as
TransportClosedError); the transport now reads such a body from the bytes httpx kept, in pieces
within ``MAX_PIECE``, in both flavours and through the clients.
"""

from __future__ import annotations

import gzip

import httpx
import pytest
from dicomkit_httpx import HttpxTransport

from dicomkit import AsyncDicomClient, DicomClient
from dicomkit.core import Request
from dicomkit.core.multipart import Part, encode_multipart
from dicomkit.transports.support import MAX_PIECE

URL = "http://pacs.test/dicom-web"
LARGE = bytes(range(256)) * 1024 + b"tail"  # 256 KiB and 4 bytes: more than one piece
STUDY, SERIES, SOP = "1.2.3", "1.2.3.4", "1.2.3.4.5"
METADATA = [{"0020000D": {"vr": "UI", "Value": [STUDY]}}]
FRAMES = [b"frame one", b"frame two" * 1000]
BOUNDARY = "dicomkit-test-boundary"


def _answer(request: httpx.Request) -> httpx.Response:
    """A small server answering with bodies built by ``content=``: read when made."""
    path = request.url.path
    if path.endswith("/large"):
        return httpx.Response(200, content=LARGE)
    if path.endswith("/empty"):
        return httpx.Response(204, content=b"")
    if path.endswith("/gzip"):
        headers = {"Content-Encoding": "gzip"}
        return httpx.Response(200, headers=headers, content=gzip.compress(LARGE))
    if path.endswith("/metadata"):
        return httpx.Response(200, json=METADATA)
    if "/frames/" in path:
        parts = [Part(frame, {"Content-Type": "application/octet-stream"}) for frame in FRAMES]
        body = b"".join(encode_multipart(parts, BOUNDARY))
        media = f'multipart/related; type="application/octet-stream"; boundary={BOUNDARY}'
        return httpx.Response(200, headers={"Content-Type": media}, content=body)
    return httpx.Response(404, content=b"no such resource")


@pytest.mark.parametrize(("path", "expected"), [("large", LARGE), ("empty", b""), ("gzip", LARGE)])
def test_a_body_read_already_streams_sync(path: str, expected: bytes) -> None:
    with (
        httpx.Client(transport=httpx.MockTransport(_answer)) as client,
        HttpxTransport(client=client) as transport,
        transport.send(Request("GET", f"{URL}/{path}")) as response,
    ):
        pieces = list(response.iter_bytes())
    assert b"".join(pieces) == expected
    assert all(0 < len(piece) <= MAX_PIECE for piece in pieces)


@pytest.mark.parametrize(("path", "expected"), [("large", LARGE), ("empty", b""), ("gzip", LARGE)])
async def test_a_body_read_already_streams_async(path: str, expected: bytes) -> None:
    async with (
        httpx.AsyncClient(transport=httpx.MockTransport(_answer)) as client,
        HttpxTransport(async_client=client) as transport,
        await transport.asend(Request("GET", f"{URL}/{path}")) as response,
    ):
        pieces = [piece async for piece in response.aiter_bytes()]
    assert b"".join(pieces) == expected
    assert all(0 < len(piece) <= MAX_PIECE for piece in pieces)


def test_the_sync_client_reads_json_and_streamed_parts_from_such_a_transport() -> None:
    with (
        httpx.Client(transport=httpx.MockTransport(_answer)) as caller,
        DicomClient(URL, transport=HttpxTransport(client=caller)) as client,
    ):
        assert client.retrieve_series_metadata(STUDY, SERIES) == METADATA
        assert list(client.iter_instance_frames(STUDY, SERIES, SOP, [1, 2])) == FRAMES
        assert client.retrieve_study_metadata(STUDY) == METADATA


async def test_the_async_client_reads_json_and_streamed_parts_from_such_a_transport() -> None:
    async with (
        httpx.AsyncClient(transport=httpx.MockTransport(_answer)) as caller,
        AsyncDicomClient(URL, transport=HttpxTransport(async_client=caller)) as client,
    ):
        assert await client.retrieve_series_metadata(STUDY, SERIES) == METADATA
        frames = [frame async for frame in client.iter_instance_frames(STUDY, SERIES, SOP, [1, 2])]
        assert frames == FRAMES
