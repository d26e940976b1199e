"""The async client never blocks its event loop, even moving 100 MB (issue 10, item 6).

Each case runs on every async backend (aiohttp, httpx) against the reference server (in a
process of its own, see ``server_url``). The client's loop runs in asyncio debug mode with
``slow_callback_duration`` = 50 ms. The same call first runs once on small data, so that first
imports, session and connection setup are not counted; then the big call is measured. It fails
on any callback that held the loop for 50 ms of CPU and on any blocking call (file opened,
renamed or created, name looked up) made on the loop's thread, each listed with what it was
doing: see tests/client/_loop_watch.py, whose judgement the ``test_watch_*`` cases check.
Each case failed before the async client moved file work and parsing to threads.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from dicomkit import AsyncDicomClient, DicomClient
from dicomkit.testing.data import make_instance, make_study, write_instances

from ._loop_watch import LoopWatch

_T = TypeVar("_T")

BIG_SIDE = 7500
"""Rows and columns of the big instance: 7500 * 7500 16-bit pixels, 112.5 MB."""
MIDDLE_SIDE = 3500
"""A big file of the uploaded folder: 24.5 MB."""
FOLDER_SMALL_FILES = 30
MEGABYTE = 1 << 20
SERVE = """
import sys
from dicomkit_server import ReferenceServer

with ReferenceServer(sys.argv[1], duplicate_policy="replace") as url:
    print(url, flush=True)
    sys.stdin.read()
"""


@dataclass(frozen=True)
class Study:
    """A study written to disk and stored on the module's server."""

    uid: str
    paths: list[Path]

    @property
    def size(self) -> int:
        return sum(path.stat().st_size for path in self.paths)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("loop-health")


@pytest.fixture(scope="module")
def big_study(files: Path) -> Study:
    """One instance of 112.5 MB to download, retrieve and store.

    One part, not several smaller ones: parsing it on the loop costs some 100 ms of CPU, far
    from the 50 ms limit on a fast machine too, so the case fails today whatever the machine.
    """
    datasets = make_study(1, rows=BIG_SIDE, cols=BIG_SIDE, patient_id="LOOP-BIG")
    return Study(datasets[0].StudyInstanceUID, write_instances(files / "big", datasets))


@pytest.fixture(scope="module")
def small_study(files: Path) -> Study:
    """One small instance, for the warm-up call before each measured one."""
    datasets = make_study(1, patient_id="LOOP-SMALL")
    return Study(datasets[0].StudyInstanceUID, write_instances(files / "small", datasets))


@pytest.fixture(scope="module")
def folder(files: Path) -> Path:
    """Thirty small files, two of 24.5 MB in a subfolder, and a file that is not DICOM."""
    root = files / "folder"
    study_uid = make_study(1)[0].StudyInstanceUID
    small = [
        make_instance(study_uid=study_uid, rows=256, cols=256) for _ in range(FOLDER_SMALL_FILES)
    ]
    big = [make_instance(study_uid=study_uid, rows=MIDDLE_SIDE, cols=MIDDLE_SIDE) for _ in "ab"]
    write_instances(root, small)
    write_instances(root / "big", big)
    (root / "notes.txt").write_text("not an instance\n" * 1000)
    return root


@pytest.fixture(scope="module")
def small_folder(files: Path, small_study: Study) -> Path:
    """A DICOM file and a text file: the warm-up for ``upload_dicom_folder``."""
    root = files / "small-folder"
    root.mkdir()
    (root / "a.dcm").write_bytes(small_study.paths[0].read_bytes())
    (root / "readme.txt").write_text("not an instance\n")
    return root


@pytest.fixture(scope="module")
def server_url(files: Path, big_study: Study, small_study: Study) -> Iterator[str]:
    """A reference server in a process of its own, both studies stored (duplicates replace).

    Not on a thread of this process: its callbacks would not be counted (other loop, other
    thread), but parsing a 112 MB upload holds the GIL for tens of milliseconds at a time, and
    the client's loop would wait for it, which no change to the client could fix.
    """
    command = [sys.executable, "-c", SERVE, str(files / "server")]
    pipes: dict[str, Any] = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE, "text": True}
    with subprocess.Popen(command, **pipes) as child:
        assert child.stdin is not None
        assert child.stdout is not None
        url = child.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), f"the reference server did not start: {url!r}"
        with DicomClient(url, transport="urllib3") as client:
            client.store_instances(big_study.paths + small_study.paths)
        yield url
        child.stdin.close()  # the server stops when its input ends
        assert child.wait(timeout=30) == 0


@pytest.fixture
async def aclient(server_url: str, async_backend: str) -> AsyncIterator[AsyncDicomClient]:
    async with AsyncDicomClient(server_url, transport=async_backend) as client:
        yield client


@pytest.fixture
async def watch() -> AsyncIterator[LoopWatch]:
    async with LoopWatch() as made:
        yield made


async def measured(
    watch: LoopWatch,
    what: str,
    warm_up: Callable[[], Awaitable[object]],
    work: Callable[[], Awaitable[_T]],
) -> _T:
    """Run ``warm_up()`` unwatched, then ``work()`` watched; fail if it blocked the loop."""
    await warm_up()
    async with watch.measuring():
        result = await work()
    assert watch.clean, watch.failure(what)
    return result


async def test_download_dicom_of_112_mb(
    aclient: AsyncDicomClient,
    watch: LoopWatch,
    big_study: Study,
    small_study: Study,
    tmp_path: Path,
) -> None:
    written = await measured(
        watch,
        "download_dicom of 112 MB",
        lambda: aclient.download_dicom(tmp_path / "warm-up", small_study.uid),
        lambda: aclient.download_dicom(tmp_path / "out", big_study.uid),
    )
    assert sum(path.stat().st_size for path in written) == big_study.size >= 100 * MEGABYTE


async def test_upload_dicom_folder_with_big_files(
    aclient: AsyncDicomClient, watch: LoopWatch, folder: Path, small_folder: Path
) -> None:
    report = await measured(
        watch,
        "upload_dicom_folder with two 24.5 MB files",
        lambda: aclient.upload_dicom_folder(small_folder),
        lambda: aclient.upload_dicom_folder(folder),
    )
    assert (len(report.stored), report.not_dicom, report.failed) == (
        FOLDER_SMALL_FILES + 2,
        [folder / "notes.txt"],
        {},
    )


async def test_retrieve_study_into_a_dataset_of_112_mb(
    aclient: AsyncDicomClient, watch: LoopWatch, big_study: Study, small_study: Study
) -> None:
    datasets = await measured(
        watch,
        "retrieve_study of one 112 MB instance",
        lambda: aclient.retrieve_study(small_study.uid),
        lambda: aclient.retrieve_study(big_study.uid),
    )
    assert [len(ds.PixelData) for ds in datasets] == [2 * BIG_SIDE * BIG_SIDE]


async def test_store_instances_of_a_112_mb_path(
    aclient: AsyncDicomClient, watch: LoopWatch, big_study: Study, small_study: Study
) -> None:
    result = await measured(
        watch,
        "store_instances of a 112 MB file",
        lambda: aclient.store_instances(small_study.paths),
        lambda: aclient.store_instances(big_study.paths),
    )
    assert len(result.stored) == 1


# -- the judge itself --------------------------------------------------------------------------


async def test_watch_fails_a_blocking_callback_and_names_it() -> None:
    async with LoopWatch() as watch:
        await blocking_step(0.08)  # a warm-up step: reported apart, never counted
        async with watch.measuring():
            await blocking_step(0.12)
    assert [slow.seconds >= 0.08 for slow in watch.warm_up] == [True]
    assert [slow.seconds >= 0.12 for slow in watch.slow] == [True]
    assert not watch.clean
    message = watch.failure("a blocking step")
    assert "1 callback(s) held it longer than 50 ms of CPU" in message
    assert "blocking_step (tests/client/test_async_loop_health.py:" in message


async def test_watch_fails_blocking_calls_on_the_loop_thread_only(tmp_path: Path) -> None:
    async with LoopWatch() as watch, watch.measuring():
        await asyncio.to_thread((tmp_path / "elsewhere").write_bytes, b"fine")
        (tmp_path / "here").write_bytes(b"blocks")
        socket.getaddrinfo("127.0.0.1", None)
    assert [(call.event, call.target) for call in watch.blocking_calls] == [
        ("open", str(tmp_path / "here")),
        ("socket.getaddrinfo", "127.0.0.1"),
    ]
    assert watch.slow == []
    site = "open from test_watch_fails_blocking_calls_on_the_loop_thread_only (tests/client/"
    assert f"1x  {site}" in watch.failure("a write")


async def test_watch_ignores_other_threads_loops() -> None:
    """A loop on another thread (the reference server's, run in-process) is not judged."""
    async with LoopWatch() as watch, watch.measuring():
        await asyncio.to_thread(asyncio.run, sleeping_step(0.2), debug=True)
    assert watch.clean, watch.failure("another thread's loop")
    assert len(watch.other_threads) == 1, "the other loop's warning was not seen at all"


async def blocking_step(seconds: float) -> None:
    """Work on the loop's thread for ``seconds`` of CPU time, as parsing on it would."""
    deadline = time.thread_time() + seconds
    while time.thread_time() < deadline:
        pass
    await asyncio.sleep(0)


async def sleeping_step(seconds: float) -> None:
    """Hold the running loop for ``seconds`` without holding the GIL, as a blocked read would."""
    time.sleep(seconds)
    await asyncio.sleep(0)
