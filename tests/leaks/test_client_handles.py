"""No leaked handle, client level (issue 13.1): after success, HTTP errors (retry off),
timeouts, resets mid-response and mid-upload, ``close()`` and leaving the context manager
release every socket, file and thread on every backend and both clients, with ``gc`` off."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dicomkit import AsyncDicomClient, DicomClient
from dicomkit.core import errors
from dicomkit.core.interface import Timeout
from dicomkit.testing.data import make_study, write_instances
from tests.client.conftest import backend_names
from tests.leaks._handles import Handles, Resetter, gc_off, port_of

TIMEOUT = Timeout(connect=5.0, read=1.0)
STATUSES = (503, 404, 400, 500)


@pytest.fixture
def files(tmp_path: Path) -> list[Path]:
    return write_instances(tmp_path / "in", make_study(3, pixel_bytes=600_000))


@pytest.fixture
def resetter() -> Iterator[Resetter]:
    made = Resetter()
    yield made
    made.close()


def _study_uid(studies: list[dict[str, Any]]) -> str:
    return str(studies[0]["0020000D"]["Value"][0])


def _sync_exchanges(client: DicomClient, server: Any, files: list[Path], out: Path) -> None:
    for path in files:
        client.upload_dicom_file(path)
    uid = _study_uid(client.search_for_studies())
    assert len(client.download_dicom(out, uid)) == len(files)
    for status in STATUSES:
        server.faults.add("/studies", status=status, body=b"x" * 70_000)
        with pytest.raises(errors.HTTPError):
            client.search_for_studies()
    server.faults.add("/studies", delay=3.0)
    with pytest.raises(errors.TimeoutError):
        client.search_for_studies()
    server.faults.add(f"/studies/{uid}", cut_after=1000)
    with pytest.raises(errors.TransportError):
        client.retrieve_study(uid)
    assert len(client.retrieve_study(uid)) == len(files)


async def _async_exchanges(
    client: AsyncDicomClient, server: Any, files: list[Path], out: Path
) -> None:
    for path in files:
        await client.upload_dicom_file(path)
    uid = _study_uid(await client.search_for_studies())
    assert len(await client.download_dicom(out, uid)) == len(files)
    for status in STATUSES:
        server.faults.add("/studies", status=status, body=b"x" * 70_000)
        with pytest.raises(errors.HTTPError):
            await client.search_for_studies()
    server.faults.add("/studies", delay=3.0)
    with pytest.raises(errors.TimeoutError):
        await client.search_for_studies()
    server.faults.add(f"/studies/{uid}", cut_after=1000)
    with pytest.raises(errors.TransportError):
        await client.retrieve_study(uid)
    assert len(await client.retrieve_study(uid)) == len(files)


@pytest.mark.parametrize("closing", ["close", "with"])
@pytest.mark.parametrize("backend", backend_names(asynchronous=False))
def test_sync_client_releases_everything(
    dicomweb_server: Any, files: list[Path], tmp_path: Path, backend: str, closing: str
) -> None:
    handles = Handles(port_of(dicomweb_server.url), files, dicomweb_server)
    with gc_off():
        client = DicomClient(dicomweb_server.url, transport=backend, retry=False, timeout=TIMEOUT)
        if closing == "with":
            with client:
                _sync_exchanges(client, dicomweb_server, files, tmp_path / "out")
        else:
            _sync_exchanges(client, dicomweb_server, files, tmp_path / "out")
            client.close()
        handles.check_released()


@pytest.mark.parametrize("closing", ["close", "with"])
@pytest.mark.parametrize("backend", backend_names(asynchronous=True))
def test_async_client_releases_everything(
    dicomweb_server: Any, files: list[Path], tmp_path: Path, backend: str, closing: str
) -> None:
    handles = Handles(port_of(dicomweb_server.url), files, dicomweb_server)

    async def run() -> None:
        client = AsyncDicomClient(
            dicomweb_server.url, transport=backend, retry=False, timeout=TIMEOUT
        )
        if closing == "with":
            async with client:
                await _async_exchanges(client, dicomweb_server, files, tmp_path / "out")
        else:
            await _async_exchanges(client, dicomweb_server, files, tmp_path / "out")
            await client.close()
        handles.check_released()  # before the loop ends: nothing left to its shutdown

    with gc_off():
        asyncio.run(run())
        handles.check_released()


@pytest.mark.parametrize("backend", backend_names(asynchronous=False))
def test_sync_upload_reset_mid_request_closes_the_file(
    resetter: Resetter, files: list[Path], backend: str
) -> None:
    handles = Handles(resetter.port, files)
    with gc_off():
        with DicomClient(resetter.url, transport=backend, retry=False) as client:
            with pytest.raises(errors.TransportError):
                client.upload_dicom_file(files[0])
            assert handles.open_files() == [], "the file outlived the failed upload"
        handles.check_released()


@pytest.mark.parametrize("backend", backend_names(asynchronous=True))
def test_async_upload_reset_mid_request_closes_the_file(
    resetter: Resetter, files: list[Path], backend: str
) -> None:
    handles = Handles(resetter.port, files)

    async def run() -> None:
        async with AsyncDicomClient(resetter.url, transport=backend, retry=False) as client:
            with pytest.raises(errors.TransportError):
                await client.upload_dicom_file(files[0])
            assert handles.open_files() == [], "the file outlived the failed upload"
        handles.check_released()

    with gc_off():
        asyncio.run(run())
