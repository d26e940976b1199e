"""STOW-RS batching and bodies: sizes, replay, files opened only while sent."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import pydicom
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydicom.uid import ExplicitVRLittleEndian

from dicomkit import AsyncDicomClient, DicomClient
from dicomkit.core import multipart
from dicomkit.core.errors import HTTPError, InvalidArgumentError
from dicomkit.core.interface import Request
from dicomkit.core.stow import StowItem, plan_batches, stow_body
from dicomkit.files.part10 import stow_items
from dicomkit.testing.data import dataset_bytes, make_instance

from .fakes import Answer, FakeTransport


@given(
    sizes=st.lists(st.one_of(st.none(), st.integers(0, 1000)), min_size=0, max_size=30),
    max_count=st.integers(1, 5),
    max_bytes=st.integers(1, 2000),
)
def test_batches_keep_order_and_respect_limits(
    sizes: list[int | None], max_count: int, max_bytes: int
) -> None:
    items = [
        StowItem(b"x" * size) if size is not None else StowItem(_never, label=str(index))
        for index, size in enumerate(sizes)
    ]
    batches = plan_batches(items, max_count=max_count, max_bytes=max_bytes)
    assert [item for batch in batches for item in batch] == items
    for batch in batches:
        assert 1 <= len(batch) <= max_count
        known = [item.size() for item in batch]
        if len(batch) > 1 and all(size is not None for size in known):
            assert sum(size or 0 for size in known) <= max_bytes
        assert all(size is not None for size in known[:-1])


@contextmanager
def _never() -> Iterator[BinaryIO]:
    raise AssertionError("planning must not open files")
    yield  # pragma: no cover


def test_body_length_is_exact_and_the_body_replays(tmp_path: Path) -> None:
    path = tmp_path / "a.dcm"
    path.write_bytes(dataset_bytes(make_instance()))
    items = stow_items([make_instance(), path, dataset_bytes(make_instance())])
    boundary = multipart.new_boundary()
    body = stow_body(items, boundary, chunk_size=1000)
    first = b"".join(body)
    assert body.length == len(first)
    assert b"".join(body) == first
    parts = list(multipart.iter_parts([first], boundary))
    assert len(parts) == 3
    assert parts[1][1] == path.read_bytes()
    assert all(headers.get("Content-Type") == "application/dicom" for headers, _ in parts)


def test_files_are_opened_only_while_their_part_is_sent(tmp_path: Path) -> None:
    opened: list[str] = []

    def opener(name: str) -> object:
        @contextmanager
        def open_it() -> Iterator[BinaryIO]:
            opened.append(name)
            with open(tmp_path / name, "rb") as handle:
                yield handle
            opened.append("closed " + name)

        return open_it

    for name in ("a", "b"):
        (tmp_path / name).write_bytes(name.encode() * 10)
    items = [StowItem(opener(n), length=10, label=n) for n in ("a", "b")]  # type: ignore[arg-type]
    chunks = iter(stow_body(items, multipart.new_boundary(), chunk_size=4))
    next(chunks)
    assert opened == ["a"]
    list(chunks)
    assert opened == ["a", "closed a", "b", "closed b"]


def test_unsupported_instances_are_refused() -> None:
    with pytest.raises(InvalidArgumentError):
        stow_items([42])  # type: ignore[list-item]
    with pytest.raises(InvalidArgumentError):
        stow_items([])
    with pytest.raises(InvalidArgumentError):
        stow_items(["/no/such/file.dcm"])
    with pytest.raises(InvalidArgumentError, match="cannot read"):
        stow_items(["bad\0name.dcm"])  # os.stat raises ValueError for a NUL byte


@pytest.mark.parametrize("meta", ["none", "without transfer syntax"])
def test_a_dataset_built_in_memory_is_sent_as_a_part10_file(meta: str) -> None:
    built = make_instance()
    if meta == "none":
        del built.file_meta
    else:
        del built.file_meta.TransferSyntaxUID
    before = built.to_json_dict()
    [item] = stow_items([built])
    assert isinstance(item.source, bytes)
    assert item.source[128:132] == b"DICM"
    again = pydicom.dcmread(io.BytesIO(item.source))
    assert again.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
    assert again.file_meta.MediaStorageSOPInstanceUID == built.SOPInstanceUID
    assert again.PatientName == built.PatientName
    assert built.to_json_dict() == before
    assert "TransferSyntaxUID" not in built.get("file_meta", {})


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirected_store_is_an_error_not_a_silent_success(status: int, tmp_path: Path) -> None:
    def handler(request: Request, body: bytes) -> Answer:
        return status, {"Location": "https://elsewhere.test/dicom-web/studies"}, b""

    with DicomClient("http://dicom.test/dicom-web", transport=FakeTransport(handler)) as client:
        with pytest.raises(HTTPError, match="redirected") as info:
            client.store_instances([make_instance()])
        assert info.value.status == status
        assert "https://elsewhere.test/dicom-web/studies" in str(info.value)
        (tmp_path / "a.dcm").write_bytes(dataset_bytes(make_instance()))
        report = client.upload_dicom_folder(tmp_path)
    assert report.stored == []
    assert list(report.failed) == [tmp_path / "a.dcm"]


@pytest.mark.parametrize("limit", ["max_batch_instances", "max_batch_bytes"])
async def test_a_zero_batch_limit_is_refused_not_taken_for_the_default(
    limit: str, tmp_path: Path
) -> None:
    transport = FakeTransport(lambda request, body: (200, {}, b"{}"))
    (tmp_path / "a.dcm").write_bytes(dataset_bytes(make_instance()))
    with DicomClient("http://dicom.test/dicom-web", transport=transport) as client:
        with pytest.raises(InvalidArgumentError, match=limit):
            client.store_instances([make_instance()], **{limit: 0})
        with pytest.raises(InvalidArgumentError, match=limit):
            client.upload_dicom_folder(tmp_path, **{limit: 0})
    async with AsyncDicomClient("http://dicom.test/dicom-web", transport=transport) as aclient:
        with pytest.raises(InvalidArgumentError, match=limit):
            await aclient.store_instances([make_instance()], **{limit: 0})
        with pytest.raises(InvalidArgumentError, match=limit):
            await aclient.upload_dicom_folder(tmp_path, **{limit: 0})
    assert transport.seen == []
