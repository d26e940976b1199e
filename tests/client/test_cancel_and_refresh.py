"""Review findings of the restructure, pinned: a cancelled download leaves nothing behind,
``progress`` runs on the caller's thread, and a 401 whose renewal fails is still closed."""

from __future__ import annotations

import asyncio
import io
import threading
from collections.abc import AsyncIterator, Iterable
from pathlib import Path

import pytest

from dicomkit import AsyncDicomClient
from dicomkit.auth import Auth
from dicomkit.core import errors, multipart
from dicomkit.core.interface import AsyncTransport, Request, Response
from dicomkit.files.download import PartFileWriter
from dicomkit.testing.data import make_study

BOUNDARY = "CANCELBOUNDARY"


def _study_body() -> tuple[str, list[bytes]]:
    datasets = make_study(4, patient_id="CANCEL")
    parts = []
    for dataset in datasets:
        buffer = io.BytesIO()
        dataset.save_as(buffer, enforce_file_format=True)
        parts.append(multipart.Part(buffer.getvalue(), {"Content-Type": "application/dicom"}))
    body = b"".join(multipart.encode_multipart(parts, BOUNDARY))
    size = len(body) // 6 + 1  # chunks that straddle the parts' boundaries
    return datasets[0].StudyInstanceUID, [body[i : i + size] for i in range(0, len(body), size)]


class StudyTransport(AsyncTransport):
    """Answers every request with the same multipart study, a chunk per loop turn."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks

    async def asend(self, request: Request) -> Response:
        async def stream() -> AsyncIterator[bytes]:
            for chunk in self.chunks:
                await asyncio.sleep(0)
                yield chunk

        content_type = f'multipart/related; type="application/dicom"; boundary={BOUNDARY}'
        return Response(200, {"Content-Type": content_type}, astream=stream(), url=request.url)

    async def aclose(self) -> None:
        pass


async def test_a_cancelled_download_leaves_no_partial_file(tmp_path: Path) -> None:
    """Cancelled while a worker thread writes: the abort must not run beside that thread, or
    the thread goes on to create a temporary file nobody removes."""
    study, chunks = _study_body()
    client = AsyncDicomClient("http://127.0.0.1:9/dicom-web", transport=StudyTransport(chunks))
    feed = PartFileWriter.feed
    at_second_part, go_on = threading.Event(), threading.Event()
    starts = 0

    def gated_feed(self: PartFileWriter, events: Iterable[multipart.Event]) -> None:
        nonlocal starts
        for event in events:
            if isinstance(event, multipart.PartStart):
                starts += 1
                if starts == 2:  # hold the thread just before it opens the second part's file
                    at_second_part.set()
                    go_on.wait(5)
            feed(self, [event])

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(PartFileWriter, "feed", gated_feed)
        task = asyncio.ensure_future(client.download_dicom(tmp_path, study))
        assert await asyncio.to_thread(at_second_part.wait, 5)
        task.cancel()
        asyncio.get_running_loop().call_later(0.1, go_on.set)
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.to_thread(go_on.wait, 5)
        await asyncio.sleep(0.2)  # what the thread, let go, writes meanwhile
    assert [path.name for path in tmp_path.rglob("*.part")] == []


async def test_progress_runs_on_the_event_loop_thread(tmp_path: Path) -> None:
    study, chunks = _study_body()
    seen: list[tuple[int, int]] = []
    loop_thread = threading.get_ident()

    def progress(done: int, total: int | None) -> None:
        seen.append((done, threading.get_ident()))

    client = AsyncDicomClient("http://127.0.0.1:9/dicom-web", transport=StudyTransport(chunks))
    written = await client.download_dicom(tmp_path, study, progress=progress)
    assert [done for done, _ in seen] == [1, 2, 3, 4]
    assert {thread for _, thread in seen} == {loop_thread}
    assert len(written) == 4


class Unauthorized(AsyncTransport):
    def __init__(self) -> None:
        self.closed = 0

    async def asend(self, request: Request) -> Response:
        async def stream() -> AsyncIterator[bytes]:
            yield b"{}"

        async def on_close() -> None:
            self.closed += 1

        return Response(401, {}, astream=stream(), on_aclose=on_close, url=request.url)

    async def aclose(self) -> None:
        pass


class BrokenRenewal(Auth):
    def headers(self, transport: object) -> dict[str, str]:  # type: ignore[override]
        return {"Authorization": "Bearer stale"}

    async def aheaders(self, transport: object) -> dict[str, str]:  # type: ignore[override]
        return {"Authorization": "Bearer stale"}

    async def arefresh(self, transport: object, failed_headers: object) -> bool:  # type: ignore[override]
        raise errors.ConnectError("the token endpoint is down")


async def test_a_401_is_closed_when_renewing_the_credentials_fails() -> None:
    transport = Unauthorized()
    client = AsyncDicomClient(
        "https://pacs.example/dicom-web", transport=transport, auth=BrokenRenewal()
    )
    with pytest.raises(errors.ConnectError):
        await client.search_for_studies()
    assert transport.closed == 1
