"""Downloads that a hostile or broken server cannot abuse, and folder scanning edge cases."""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import pytest
from pydicom.dataset import Dataset

from dicomkit import AsyncDicomClient, DicomClient
from dicomkit.core import multipart
from dicomkit.core.dicomjson import FailedInstance, StoredInstance, StoreResult
from dicomkit.core.errors import ConnectError, InvalidArgumentError, NotFoundError, ProtocolError
from dicomkit.core.interface import Request, Response, Timeout
from dicomkit.core.operations import coerce_timeout
from dicomkit.core.retry import RetryPolicy
from dicomkit.files.folder import FolderUploadReport, sniff_file
from dicomkit.testing.data import dataset_bytes, make_instance

from .fakes import Answer, FakeTransport
from .test_driver_unit import stow_answer

BASE = "http://dicom.test/dicom-web"


def multipart_answer(*bodies: bytes) -> Answer:
    boundary = multipart.new_boundary()
    parts = [multipart.Part(body, {"Content-Type": "application/dicom"}) for body in bodies]
    content_type = f'multipart/related; type="application/dicom"; boundary={boundary}'
    return (
        200,
        {"Content-Type": content_type},
        b"".join(multipart.encode_multipart(parts, boundary)),
    )


def hostile_instance(sop_uid: str) -> bytes:
    ds: Dataset = make_instance()
    with warnings.catch_warnings():  # pydicom rightly warns about the invalid UI value
        warnings.simplefilter("ignore")
        ds.SOPInstanceUID = sop_uid
        return dataset_bytes(ds)


@pytest.mark.parametrize("sop_uid", ["../../../escaped", "1.2.3/../../x", "/etc/passwd"])
def test_a_server_cannot_name_files_outside_the_folder(tmp_path: Path, sop_uid: str) -> None:
    good = make_instance()
    answer = multipart_answer(dataset_bytes(good), hostile_instance(sop_uid))
    out = tmp_path / "inside" / "out"
    client = DicomClient(BASE, transport=FakeTransport(lambda r, b: answer))
    with client, pytest.raises(ProtocolError, match="bad UID"):
        client.download_dicom(out, good.StudyInstanceUID)
    files = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    assert files == [
        out / good.StudyInstanceUID / good.SeriesInstanceUID / f"{good.SOPInstanceUID}.dcm"
    ]


def test_a_single_part_answer_without_multipart_is_accepted(tmp_path: Path) -> None:
    ds = make_instance()
    answer = (200, {"Content-Type": "application/dicom"}, dataset_bytes(ds))
    with DicomClient(BASE, transport=FakeTransport(lambda r, b: answer)) as client:
        got = client.retrieve_instance(ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID)
        [written] = client.download_dicom(tmp_path, ds.StudyInstanceUID)
    assert got.SOPInstanceUID == ds.SOPInstanceUID
    assert written.read_bytes() == dataset_bytes(ds)


class FlakyTransport(FakeTransport):
    """Refuses the first ``failures`` connections, as a restarting server does."""

    failures: int = 2

    def send(self, request: Request) -> Response:
        if self.failures:
            self.failures -= 1
            raise ConnectError("connection refused")
        return super().send(request)


def test_connection_errors_are_retried() -> None:
    transport = FlakyTransport(lambda r, b: (200, {}, b"[]"))
    policy = RetryPolicy(backoff=0.0)
    with DicomClient(BASE, transport=transport, retry=policy) as client:
        assert client.search_for_studies() == []
    assert transport.failures == 0
    transport = FlakyTransport(lambda r, b: (200, {}, b"[]"))
    with DicomClient(BASE, transport=transport, retry=False) as client, pytest.raises(ConnectError):
        client.search_for_studies()


def test_damaged_and_foreign_files_are_told_apart(tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.dcm"
    damaged.write_bytes(b"\0" * 128 + b"DICM" + b"\xff" * 40)
    text = tmp_path / "readme"
    text.write_text("hello")
    good = tmp_path / "GOOD.DCM"
    good.write_bytes(dataset_bytes(make_instance()))
    assert sniff_file(damaged).is_dicom
    assert sniff_file(damaged).problem
    assert not sniff_file(text).is_dicom
    scanned = sniff_file(good)
    assert scanned.is_dicom
    assert scanned.problem is None
    assert scanned.sop_instance_uid


def test_report_attributes_outcomes_by_uid_in_order(tmp_path: Path) -> None:
    from dicomkit.core import stow
    from dicomkit.files.folder import ScannedFile

    files = [ScannedFile(tmp_path / n, True, sop_instance_uid=u) for n, u in
             [("a", "1.1"), ("b", "1.1"), ("c", "1.2"), ("d", "1.3")]]  # fmt: skip
    result = StoreResult(
        stored=[StoredInstance("1.2.840", "1.1"), StoredInstance("1.2.840", "1.3")],
        failed=[
            FailedInstance("1.2.840", "1.1", 45070, "already exists"),
            FailedInstance("1.2.840", "1.2", 0xA700, "Out of resources"),
        ],
        status=202,
    )
    report = FolderUploadReport()
    report.record_batch(files, stow.settle_duplicates(result, "present"))
    assert report.stored == [tmp_path / "a", tmp_path / "d"]
    assert report.already_present == [tmp_path / "b"]
    assert report.failed == {tmp_path / "c": "Out of resources (0xA700)"}
    assert not report.ok
    assert str(report) == "2 stored, 1 already present, 1 failed, 0 not DICOM"


def test_timeouts() -> None:
    assert coerce_timeout(None) == Timeout()
    assert coerce_timeout(5) == Timeout(5.0, 5.0)
    assert coerce_timeout((1, None)) == Timeout(1, None)
    for bad in (0, -1, "x", (1, 2, 3), True):
        with pytest.raises(InvalidArgumentError):
            coerce_timeout(bad)  # type: ignore[arg-type]


def storing_server(instances: list[Dataset]) -> FakeTransport:
    """A STOW-RS server that stores whichever of ``instances`` it finds in a request body."""

    def handler(request: Request, body: bytes) -> Answer:
        sent = [ds.SOPInstanceUID for ds in instances if ds.SOPInstanceUID.encode() in body]
        return stow_answer(sent, [], 200)

    return FakeTransport(handler)


def test_folder_links_and_special_files_are_all_accounted_for(tmp_path: Path) -> None:
    instances = [make_instance() for _ in range(3)]
    root, elsewhere = tmp_path / "in", tmp_path / "elsewhere"
    (root / "sub").mkdir(parents=True)
    elsewhere.mkdir()
    (root / "a.dcm").write_bytes(dataset_bytes(instances[0]))
    (root / "sub" / "a.dcm").write_bytes(dataset_bytes(instances[1]))
    (elsewhere / "linked").write_bytes(dataset_bytes(instances[2]))
    (root / "linked-folder").symlink_to(elsewhere, target_is_directory=True)
    (root / "sub" / "loop").symlink_to(root, target_is_directory=True)
    (root / "dangling").symlink_to(tmp_path / "gone")
    os.mkfifo(root / "pipe")
    (root / "sub" / "to-pipe").symlink_to(root / "pipe")
    transport = storing_server(instances)
    with DicomClient(BASE, transport=transport) as client:
        report = client.upload_dicom_folder(root)
    assert sorted(report.stored) == sorted(
        [root / "a.dcm", root / "sub" / "a.dcm", root / "linked-folder" / "linked"]
    )
    assert list(report.failed) == [root / "dangling"]
    assert "broken" in report.failed[root / "dangling"]
    assert report.not_dicom == [root / "pipe", root / "sub" / "to-pipe"]
    assert report.total == 6


def test_an_unreadable_subfolder_is_reported_and_the_rest_uploaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ds = make_instance()
    (tmp_path / "locked").mkdir()
    (tmp_path / "open").mkdir()
    (tmp_path / "open" / "x").write_bytes(dataset_bytes(ds))
    real_scandir = os.scandir

    def scandir(path: Any) -> Any:
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    with DicomClient(BASE, transport=storing_server([ds])) as client:
        report = client.upload_dicom_folder(tmp_path)
    assert report.stored == [tmp_path / "open" / "x"]
    assert report.failed == {tmp_path / "locked": "unreadable folder: Permission denied"}
    assert not report.ok


def vanishing_folder(root: Path, instances: list[Dataset]) -> tuple[list[Path], Any]:
    """Files 0..n-1, and a progress callback that deletes file 1 once the first batch is sent."""
    root.mkdir()
    paths = [root / f"{index}.dcm" for index in range(len(instances))]
    for path, ds in zip(paths, instances, strict=True):
        path.write_bytes(dataset_bytes(ds))

    def progress(done: int, total: int | None) -> None:
        paths[1].unlink(missing_ok=True)

    return paths, progress


def test_a_file_removed_during_the_upload_is_reported_and_the_rest_sent(tmp_path: Path) -> None:
    instances = [make_instance() for _ in range(3)]
    paths, progress = vanishing_folder(tmp_path / "in", instances)
    with DicomClient(BASE, transport=storing_server(instances)) as client:
        report = client.upload_dicom_folder(
            tmp_path / "in", max_batch_instances=1, workers=1, progress=progress
        )
        with pytest.raises(InvalidArgumentError):
            client.upload_dicom_folder(tmp_path / "in", study_instance_uid="1.02")
    assert report.stored == [paths[0], paths[2]]
    assert list(report.failed) == [paths[1]]
    assert "cannot read" in report.failed[paths[1]]


async def test_async_a_file_removed_during_the_upload_is_reported(tmp_path: Path) -> None:
    instances = [make_instance() for _ in range(3)]
    paths, progress = vanishing_folder(tmp_path / "in", instances)
    async with AsyncDicomClient(BASE, transport=storing_server(instances)) as client:
        report = await client.upload_dicom_folder(
            tmp_path / "in", max_batch_instances=1, workers=1, progress=progress
        )
    assert report.stored == [paths[0], paths[2]]
    assert list(report.failed) == [paths[1]]


@pytest.mark.parametrize("keyword", ["StudyInstanceUID", "SeriesInstanceUID"])
def test_hostile_study_and_series_uids_in_a_part_are_refused(tmp_path: Path, keyword: str) -> None:
    ds: Dataset = make_instance()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        setattr(ds, keyword, "..")
    answer = multipart_answer(dataset_bytes(ds))
    client = DicomClient(BASE, transport=FakeTransport(lambda r, b: answer))
    with client, pytest.raises(ProtocolError, match=keyword):
        client.download_dicom(tmp_path / "out", "1.2.3")
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_bad_download_arguments_are_refused_before_touching_the_disk(tmp_path: Path) -> None:
    transport = FakeTransport(lambda r, b: (500, {}, b""))
    with DicomClient(BASE, transport=transport) as client:
        with pytest.raises(InvalidArgumentError):
            client.download_dicom(tmp_path / "out", "1.2.3", None, "1.2.3.4")
        with pytest.raises(InvalidArgumentError):
            client.download_dicom(tmp_path / "out2", "1.2/../3")
    assert list(tmp_path.iterdir()) == []
    assert transport.seen == []


def test_a_single_part_answer_shorter_than_its_length_leaves_no_file(tmp_path: Path) -> None:
    data = dataset_bytes(make_instance())
    short = data[: len(data) // 2]
    answer = (200, {"Content-Type": "application/dicom", "Content-Length": str(len(data))}, short)
    client = DicomClient(BASE, transport=FakeTransport(lambda r, b: answer))
    with client, pytest.raises(ProtocolError, match="ended after"):
        client.download_dicom(tmp_path, "1.2.3")
    assert list(tmp_path.iterdir()) == []
    compressed = (200, {**answer[1], "Content-Encoding": "gzip"}, data)
    client = DicomClient(BASE, transport=FakeTransport(lambda r, b: compressed))
    with client:
        assert len(client.download_dicom(tmp_path, "1.2.3")) == 1


def _not_dicom_files(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    text = tmp_path / "notes.dcm"
    text.write_text("not an image\n" * 20)
    return {
        "not DICOM": (text, "not a DICOM file"),
        "missing": (tmp_path / "gone.dcm", "No such file"),
        "a folder": (tmp_path, "unreadable"),
    }


def test_upload_dicom_file_refuses_what_is_not_a_dicom_file_before_sending(
    tmp_path: Path,
) -> None:
    good = tmp_path / "good.dcm"
    instance = make_instance()
    good.write_bytes(dataset_bytes(instance))
    transport = FakeTransport(lambda r, b: stow_answer([instance.SOPInstanceUID], [], 200))
    with DicomClient(BASE, transport=transport) as client:
        for path, reason in _not_dicom_files(tmp_path).values():
            with pytest.raises(InvalidArgumentError, match=reason) as info:
                client.upload_dicom_file(path)
            assert str(path) in str(info.value)
        assert client.upload_dicom_file(good).ok
    assert len(transport.seen) == 1


async def test_async_upload_dicom_file_refuses_what_is_not_a_dicom_file(tmp_path: Path) -> None:
    transport = FakeTransport(lambda r, b: stow_answer([], [], 200))
    async with AsyncDicomClient(BASE, transport=transport) as client:
        for path, reason in _not_dicom_files(tmp_path).values():
            with pytest.raises(InvalidArgumentError, match=reason):
                await client.upload_dicom_file(path)
    assert transport.seen == []


def test_downloading_a_missing_study_creates_no_folder(tmp_path: Path) -> None:
    client = DicomClient(BASE, transport=FakeTransport(lambda r, b: (404, {}, b"no such study")))
    with client, pytest.raises(NotFoundError):
        client.download_dicom(tmp_path / "out" / "study", "1.2.3")
    assert list(tmp_path.iterdir()) == []


async def test_async_downloading_a_missing_study_creates_no_folder(tmp_path: Path) -> None:
    transport = FakeTransport(lambda r, b: (404, {}, b"no such study"))
    async with AsyncDicomClient(BASE, transport=transport) as client:
        with pytest.raises(NotFoundError):
            await client.download_dicom(tmp_path / "out", "1.2.3")
    assert list(tmp_path.iterdir()) == []


class ClosingTransport(FakeTransport):
    """Counts the answers closed by the client."""

    closed_answers = 0

    def send(self, request: Request) -> Response:
        answer = super().send(request)

        def closed() -> None:
            type(self).closed_answers += 1

        return Response(answer.status, answer.headers, stream=answer.iter_bytes(), on_close=closed)


@pytest.mark.parametrize("name", ["a-file/out", "nul\0byte"], ids=["under-a-file", "nul-byte"])
def test_a_download_folder_that_cannot_be_created_closes_the_answer(
    tmp_path: Path, name: str
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_bytes(b"")
    data = dataset_bytes(make_instance())
    transport = ClosingTransport(lambda r, b: multipart_answer(data))
    ClosingTransport.closed_answers = 0
    with DicomClient(BASE, transport=transport) as client:
        with pytest.raises(InvalidArgumentError, match="cannot create"):
            client.download_dicom(f"{tmp_path}/{name}", "1.2.3")
        assert ClosingTransport.closed_answers == 1
        assert len(client.download_dicom(tmp_path / "out", "1.2.3")) == 1
