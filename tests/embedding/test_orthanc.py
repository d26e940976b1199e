"""The embedding capabilities against a real Orthanc, on every backend: a pickled client in a
'spawn' worker, a headerless file uploaded on request, no global state changed by threads and
tasks, and a 401 that says the credentials were rejected.

Orthanc binds 0.0.0.0, so these run in a private network namespace (``nox -s tests``).
"""

from __future__ import annotations

import asyncio
import hashlib
import multiprocessing
import warnings
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import pytest
from dicomkit_server.orthanc import OrthancServer
from pydicom.uid import ImplicitVRLittleEndian

from dicomkit import AsyncDicomClient, DicomClient
from dicomkit.auth import BasicAuth, EnvSecret
from dicomkit.core.errors import UnauthorizedError
from dicomkit.files.folder import HEADERLESS_PROBLEM
from dicomkit.testing.data import dataset_bytes, make_instance, make_study, write_instances
from tests.embedding._worker import search_and_download


def _headerless(path: Path, patient: str) -> str:
    ds = make_instance(patient_id=patient)
    ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
    body = dataset_bytes(ds)
    end = 132
    while body[end : end + 2] == b"\x02\x00":
        vr = body[end + 4 : end + 6]
        if vr in (b"OB", b"UN"):
            end += 12 + int.from_bytes(body[end + 8 : end + 12], "little")
        else:
            end += 8 + int.from_bytes(body[end + 6 : end + 8], "little")
    path.write_bytes(body[end:])
    return str(ds.StudyInstanceUID)


def test_a_pickled_client_works_in_a_spawned_worker(
    orthanc: OrthancServer, sync_backend: str, tmp_path: Path
) -> None:
    study = make_study(2, n_series=1)
    uid = str(study[0].StudyInstanceUID)
    with DicomClient(orthanc.url, transport=sync_backend, dialect="orthanc") as client:
        client.store_instances(study)
        here = client.download_dicom(tmp_path / "here", uid)
        spawn = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(1, mp_context=spawn) as pool:
            job = pool.submit(search_and_download, client, uid, str(tmp_path / "there"))
            found, written = job.result()
    assert found == [uid]
    assert written == sorted(hashlib.sha256(p.read_bytes()).hexdigest() for p in here)


def test_headerless_files_upload_to_orthanc_only_on_request(
    orthanc: OrthancServer, sync_backend: str, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    raw = folder / "rtstruct.raw"
    study = _headerless(raw, "HEADERLESS-O")
    with DicomClient(orthanc.url, transport=sync_backend) as client:
        report = client.upload_dicom_folder(folder)
        assert report.failed == {raw: HEADERLESS_PROBLEM}
        report = client.upload_dicom_folder(folder, force=True)
        assert report.stored == [raw], report
        assert client.get_patient_study_ids("HEADERLESS-O") == [study]


def test_threads_and_tasks_change_no_warnings_filter(
    orthanc: OrthancServer, sync_backend: str, async_backend: str, tmp_path: Path
) -> None:
    paths = write_instances(tmp_path / "in", [make_instance() for _ in range(17)])
    with DicomClient(orthanc.url, transport=sync_backend) as client:
        client.upload_dicom_file(paths[-1])
        filters = list(warnings.filters)
        with ThreadPoolExecutor(16) as pool:
            results = list(pool.map(client.upload_dicom_file, paths[:16]))
        assert all(result.ok for result in results)
    assert warnings.filters == filters

    async def tasks() -> None:
        async with AsyncDicomClient(orthanc.url, transport=async_backend) as client:
            await asyncio.gather(*(client.upload_dicom_file(path) for path in paths))
            studies = await client.search_for_studies()
            assert len(studies) == 17

    asyncio.run(tasks())
    assert warnings.filters == filters


def test_rejected_basic_credentials_say_so(
    orthanc_with_auth: OrthancServer, sync_backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EMBED_ORTHANC_PASSWORD", "not-the-password")
    auth = BasicAuth("alice", EnvSecret("EMBED_ORTHANC_PASSWORD"))
    client = DicomClient(orthanc_with_auth.url, auth=auth, transport=sync_backend, retry=False)
    with client, pytest.raises(UnauthorizedError) as caught:
        client.search_for_studies()
    assert "rejected the credentials that were sent" in str(caught.value)
    assert "not-the-password" not in str(caught.value)
