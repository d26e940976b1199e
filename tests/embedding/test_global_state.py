"""Nothing global changes while dicomkit works: warnings filters, loggers, HTTP libraries.

16 threads on one blocking client and 100 tasks on one async client upload, search and
download at once, on every backend. ``warnings.catch_warnings`` in a worker thread (what
``sniff_file`` and the download namer did) is not thread-safe and left every warning of the
host silenced; a library must not touch such process-wide state at all.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import sys
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from dicomkit import AsyncDicomClient, DicomClient
from dicomkit.files.download import _pydicom_uids
from dicomkit.files.folder import sniff_file
from dicomkit.testing.data import dataset_bytes, make_instance, write_instances

THREADS = 16
TASKS = 100
HTTP_MODULES = [
    "ssl",
    "socket",
    "http.client",
    "requests",
    "requests.adapters",
    "requests.sessions",
    "urllib3",
    "urllib3.connectionpool",
    "urllib3.poolmanager",
    "aiohttp",
    "aiohttp.client",
    "aiohttp.connector",
    "httpx",
    "httpcore",
    "pydicom",
    "pydicom.config",
]


def _loggers() -> dict[str, tuple[int, list[logging.Handler], bool, bool]]:
    found = {"": (logging.root.level, list(logging.root.handlers), True, logging.root.disabled)}
    for name, logger in logging.root.manager.loggerDict.items():
        if isinstance(logger, logging.Logger):
            found[name] = (logger.level, list(logger.handlers), logger.propagate, logger.disabled)
    return found


def _module_attributes() -> dict[str, dict[str, int]]:
    """Each loaded HTTP module's attributes by identity: a patched function shows up."""
    attributes = {}
    for name in HTTP_MODULES:
        module = sys.modules.get(name)
        if module is not None:
            attributes[name] = {key: id(value) for key, value in vars(module).items()}
    return attributes


def _state() -> dict[str, Any]:
    return {
        "filters": list(warnings.filters),
        "loggers": _loggers(),
        "modules": _module_attributes(),
        "pydicom_config": _pydicom_settings(),
    }


def _pydicom_settings() -> dict[str, object]:
    config = sys.modules.get("pydicom.config")
    if config is None:
        return {}
    settings = config.settings
    names = ("reading_validation_mode", "writing_validation_mode", "infer_sq_for_un_vr")
    return {name: getattr(settings, name) for name in names}


def _assert_unchanged(before: dict[str, Any]) -> None:
    after = _state()
    assert after["filters"] == before["filters"]
    assert after["loggers"] == {k: v for k, v in after["loggers"].items() if k in before["loggers"]}
    for name, logger in before["loggers"].items():
        assert after["loggers"][name] == logger, name
    for name, attributes in before["modules"].items():
        assert after["modules"][name] == attributes, name
    assert after["pydicom_config"] == before["pydicom_config"]


def _files(folder: Path, count: int) -> list[Path]:
    return write_instances(folder, [make_instance(patient_id=f"G-{i}") for i in range(count)])


def _warm(client: DicomClient, path: Path, patient: str, out: Path) -> None:
    """One of each call first, so that lazily imported modules are in the snapshot."""
    client.upload_dicom_file(path)
    [study] = client.get_patient_study_ids(patient)
    client.download_dicom(out, study)


def _patient(path: Path) -> str:
    import pydicom

    return str(pydicom.dcmread(path, stop_before_pixels=True).PatientID)


def test_threads_change_no_global_state(
    dicomweb_server: Any, sync_backend: str, tmp_path: Path
) -> None:
    paths = _files(tmp_path / "in", THREADS + 1)
    patients = {path: _patient(path) for path in paths}
    filters = list(warnings.filters)
    with DicomClient(dicomweb_server.url, transport=sync_backend) as client:
        _warm(client, paths[-1], patients[paths[-1]], tmp_path / "warm")
        before = _state()
        assert before["filters"] == filters

        def work(index: int) -> None:
            path = paths[index]
            result = client.upload_dicom_file(path)
            assert result.ok
            [study] = client.get_patient_study_ids(patients[path])
            assert client.download_dicom(tmp_path / "out" / str(index), study)

        with ThreadPoolExecutor(THREADS) as pool:
            list(pool.map(work, range(THREADS)))
    _assert_unchanged(before)


async def test_tasks_change_no_global_state(
    dicomweb_server: Any, async_backend: str, tmp_path: Path
) -> None:
    paths = _files(tmp_path / "in", TASKS + 1)
    patients = {path: _patient(path) for path in paths}
    filters = list(warnings.filters)
    async with AsyncDicomClient(dicomweb_server.url, transport=async_backend) as client:
        await client.upload_dicom_file(paths[-1])
        [study] = await client.get_patient_study_ids(patients[paths[-1]])
        await client.download_dicom(tmp_path / "warm", study)
        before = _state()
        assert before["filters"] == filters

        async def work(index: int) -> None:
            path = paths[index]
            result = await client.upload_dicom_file(path)
            assert result.ok
            [study] = await client.get_patient_study_ids(patients[path])
            assert await client.download_dicom(tmp_path / "out" / str(index), study)

        await asyncio.gather(*(work(index) for index in range(TASKS)))
    _assert_unchanged(before)


def test_pydicom_fallbacks_in_threads_change_no_filter(tmp_path: Path) -> None:
    """Encodings the UID walk leaves to pydicom (here big endian) are read without touching
    the warnings filters, from many threads at once."""
    from pydicom.uid import ExplicitVRBigEndian

    ds = make_instance()
    ds.file_meta.TransferSyntaxUID = ExplicitVRBigEndian
    path = tmp_path / "big.dcm"
    path.write_bytes(dataset_bytes(ds))
    filters = list(warnings.filters)
    barrier = threading.Barrier(THREADS)

    def sniff(_: int) -> tuple[str | None, list[str]]:
        barrier.wait()
        return sniff_file(path).sop_instance_uid, _pydicom_uids(path)

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(sniff, range(THREADS)))
    assert warnings.filters == filters
    expected = [str(ds.StudyInstanceUID), str(ds.SeriesInstanceUID), str(ds.SOPInstanceUID)]
    assert results == [(str(ds.SOPInstanceUID), expected)] * THREADS


APPLICATIONS = {"demo.py", "cli/_globals.py"}
"""Entry points that run as the application, which may configure its own process."""


def test_no_library_module_touches_warnings_or_logging_configuration() -> None:
    root = Path(importlib.import_module("dicomkit").__file__ or "").parent
    calls = ("catch_warnings", "simplefilter", "filterwarnings", "resetwarnings", "basicConfig")
    found = []
    for path in sorted(root.rglob("*.py")):
        if path.relative_to(root).as_posix() in APPLICATIONS or "testing" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        found += [f"{path.relative_to(root)}: {call}" for call in calls if call in text]
    assert found == []
