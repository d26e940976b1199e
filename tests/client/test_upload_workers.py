"""upload_dicom_folder(workers=N): batches sent at once, outcomes reported in folder order."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest

from dicomkit import AsyncDicomClient, DicomClient
from dicomkit.core.errors import InvalidArgumentError
from dicomkit.core.interface import AsyncTransport, Request, Response, Transport
from dicomkit.testing.data import make_study, write_instances


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    write_instances(tmp_path / "study", make_study(12, n_series=3, rows=4, cols=4))
    (tmp_path / "study" / "notes.txt").write_text("not DICOM")
    return tmp_path / "study"


class MeetingTransport(Transport):
    """Passes requests on, but each STOW waits until ``parties`` of them are in flight.

    Sequential sends would never meet: the barrier then breaks and the upload fails.
    """

    def __init__(self, inner: Transport, parties: int) -> None:
        self.inner = inner
        self.barrier = threading.Barrier(parties, timeout=10)
        self.stow_threads: set[str] = set()

    def send(self, request: Request) -> Response:
        if request.method == "POST":
            self.stow_threads.add(threading.current_thread().name)
            self.barrier.wait()
        return self.inner.send(request)

    def close(self) -> None:
        self.inner.close()


class MeetingAsyncTransport(AsyncTransport):
    """The async twin: each STOW waits until ``parties`` of them are in flight."""

    def __init__(self, inner: AsyncTransport, parties: int) -> None:
        self.inner = inner
        self.parties = parties
        self.waiting = 0
        self.met = asyncio.Event()

    async def asend(self, request: Request) -> Response:
        if request.method == "POST" and not self.met.is_set():
            self.waiting += 1
            if self.waiting >= self.parties:
                self.met.set()
            await asyncio.wait_for(self.met.wait(), timeout=10)
        return await self.inner.asend(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def _stored_count(client: DicomClient) -> int:
    return sum(
        int(study["00201208"]["Value"][0])
        for study in client.search_for_studies(fields=["NumberOfStudyRelatedInstances"])
    )


def test_workers_send_batches_concurrently_and_report_in_folder_order(
    dicomweb_server: Any, folder: Path
) -> None:
    from dicomkit.transports import get

    inner = get("urllib3")()
    transport = MeetingTransport(inner, parties=3)
    seen: list[tuple[int, int | None]] = []
    with DicomClient(dicomweb_server.url, transport=transport) as client:
        report = client.upload_dicom_folder(
            folder, workers=3, progress=lambda done, total: seen.append((done, total))
        )
        assert _stored_count(client) == 12
    inner.close()
    dicom_files = sorted(p for p in folder.iterdir() if p.suffix == ".dcm")
    assert report.stored == dicom_files
    assert report.not_dicom == [folder / "notes.txt"]
    assert report.ok
    assert len(transport.stow_threads) == 3
    posts = [r for r in dicomweb_server.requests if r.method == "POST"]
    assert len(posts) == 6  # two batches per worker
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    assert seen[-1] == (13, 13)


async def test_async_workers_send_batches_concurrently(dicomweb_server: Any, folder: Path) -> None:
    from dicomkit.transports import get

    inner = get("aiohttp")()
    transport = MeetingAsyncTransport(inner, parties=2)
    async with AsyncDicomClient(dicomweb_server.url, transport=transport) as client:
        report = await client.upload_dicom_folder(folder, workers=2, max_batch_instances=3)
    await inner.aclose()
    assert transport.met.is_set()
    assert report.stored == sorted(p for p in folder.iterdir() if p.suffix == ".dcm")
    assert len([r for r in dicomweb_server.requests if r.method == "POST"]) == 4


def test_one_refused_batch_is_reported_and_the_others_stored(
    dicomweb_server: Any, folder: Path
) -> None:
    with DicomClient(dicomweb_server.url, transport="urllib3") as client:
        first = client.upload_dicom_folder(folder, workers=4)
        again = client.upload_dicom_folder(folder, workers=4)
    assert len(first.stored) == 12
    assert len(again.stored) + len(again.already_present) + len(again.failed) == 12
    assert not again.stored


@pytest.mark.parametrize("workers", [0, -1, 1.5, True])
def test_workers_must_be_a_positive_integer(
    dicomweb_server: Any, folder: Path, workers: Any
) -> None:
    with DicomClient(dicomweb_server.url) as client, pytest.raises(InvalidArgumentError):
        client.upload_dicom_folder(folder, workers=workers)
