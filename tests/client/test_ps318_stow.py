"""PS3.18 10.5 STOW-RS answers against the reference server through every backend of both
clients: XML answers (200 and 409), Warning headers on a success, a success with warnings as a
result to inspect, and an instance already on the server treated alike by both upload methods."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from dicomkit import AsyncDicomClient, DicomClient
from dicomkit.core import stow
from dicomkit.core.dicomjson import StoreResult
from dicomkit.core.errors import StoreError
from dicomkit.core.interface import Headers
from dicomkit.testing.data import dataset_bytes, make_instance, write_instances


@pytest.fixture
def dicomweb_server_options() -> dict[str, Any]:
    return {"duplicate_policy": "reject"}


def test_sync_a_duplicate_file_is_already_present_for_both_upload_methods(
    client: DicomClient, tmp_path: Path
) -> None:
    [path] = write_instances(tmp_path, [make_instance()])
    assert len(client.upload_dicom_file(path).stored) == 1
    again = client.upload_dicom_file(path)
    assert (again.stored, len(again.already_present), again.failed, again.ok) == ([], 1, [], True)
    assert client.upload_dicom_folder(tmp_path).already_present == [path]
    strict = client.upload_dicom_folder(tmp_path, duplicates="error")
    assert (strict.already_present, list(strict.failed), strict.ok) == ([], [path], False)
    assert "already exists" in strict.failed[path]
    with pytest.raises(StoreError) as raised:
        client.upload_dicom_file(path, duplicates="error")
    assert raised.value.result.failed[0].reason_code in stow.ALREADY_PRESENT_CODES


async def test_async_a_duplicate_file_is_already_present_for_both_upload_methods(
    aclient: AsyncDicomClient, tmp_path: Path
) -> None:
    [path] = write_instances(tmp_path, [make_instance()])
    await aclient.upload_dicom_file(path)
    again = await aclient.upload_dicom_file(path)
    assert (len(again.already_present), again.ok) == (1, True)
    with pytest.raises(StoreError):
        await aclient.upload_dicom_file(path, duplicates="error")


def _store_as_xml(client: DicomClient, datasets: list[Any]) -> StoreResult:
    """A STOW-RS request built by the core asking for XML, sent by the client's own transport:
    what a caller embedding the core does; the answer is read by the one Store reader."""
    items = [stow.StowItem(dataset_bytes(ds)) for ds in datasets]
    exchange = stow.store_exchange(client.operations, items)
    headers = exchange.request.headers.copy()
    headers.set("Accept", "application/dicom+xml")
    exchange.request = replace(exchange.request, headers=headers)
    with client.transport.send(exchange.request) as response:
        exchange.start(response.status, response.headers)
        assert Headers(response.headers).get("Content-Type") == "application/dicom+xml"
        for chunk in response.iter_bytes():
            exchange.feed(chunk)
        exchange.close()
    return exchange.result()


def test_sync_xml_answers_are_read_for_success_and_conflict(client: DicomClient) -> None:
    first = make_instance()
    second = make_instance(study_uid=first.StudyInstanceUID)
    stored = _store_as_xml(client, [first, second])
    assert sorted(s.sop_instance_uid for s in stored.stored) == sorted(
        [first.SOPInstanceUID, second.SOPInstanceUID]
    )
    assert str(stored.retrieve_url).endswith(first.StudyInstanceUID)
    with pytest.raises(StoreError) as raised:
        _store_as_xml(client, [first])
    refused = raised.value.result
    assert raised.value.status == 409
    assert [(f.sop_instance_uid, f.reason_code) for f in refused.failed] == [
        (first.SOPInstanceUID, 45070)
    ]
    assert any("already exists" in text for text in refused.warnings)


class TestReplacingServer:
    """A server that replaces a stored instance answers 200 with a Warning header."""

    @pytest.fixture
    def dicomweb_server_options(self) -> dict[str, Any]:
        return {"duplicate_policy": "replace"}

    def test_sync_a_success_with_warnings_is_a_result(self, client: DicomClient) -> None:
        ds = make_instance()
        client.store_instances(ds)
        again = client.store_instances(ds)
        assert (len(again.stored), again.ok) == (1, True)
        assert any("replaced the stored one" in text for text in again.warnings)
        with pytest.raises(StoreError) as raised:
            client.store_instances(ds, raise_on_warnings=True)
        assert len(raised.value.result.stored) == 1

    async def test_async_a_success_with_warnings_is_a_result(
        self, aclient: AsyncDicomClient
    ) -> None:
        ds = make_instance()
        await aclient.store_instances(ds)
        again = await aclient.store_instances(ds)
        assert any("replaced the stored one" in text for text in again.warnings)
        with pytest.raises(StoreError):
            await aclient.store_instances(ds, raise_on_warnings=True)


def test_sync_implicit_vr_reaches_the_server_as_explicit_and_big_endian_is_refused(
    client: DicomClient, tmp_path: Path
) -> None:
    from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian

    from dicomkit.core.errors import InvalidArgumentError

    ds = make_instance(transfer_syntax=ImplicitVRLittleEndian)
    [path] = write_instances(tmp_path, [ds])
    assert len(client.upload_dicom_file(path).stored) == 1
    stored = client.retrieve_instance(ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID)
    assert stored.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
    assert stored.PixelData == ds.PixelData
    big = tmp_path / "big.dcm"
    big.write_bytes(
        dataset_bytes(make_instance()).replace(
            b"1.2.840.10008.1.2.1\x00", b"1.2.840.10008.1.2.2\x00", 1
        )
    )
    with pytest.raises(InvalidArgumentError, match="Big Endian"):
        client.store_instances([big])


async def test_async_implicit_vr_reaches_the_server_as_explicit(
    aclient: AsyncDicomClient,
) -> None:
    from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian

    ds = make_instance(transfer_syntax=ImplicitVRLittleEndian)
    await aclient.store_instances(ds)
    stored = await aclient.retrieve_instance(
        ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID
    )
    assert stored.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
