"""A client pointed at the wrong URL says so (issue 12): the URL, and the DICOMweb root to use.

Against Orthanc's REST root (``http://host:8042`` instead of ``.../dicom-web``), whose
``/studies`` answers ``application/json`` with Orthanc's own IDs and refuses uploads with 405,
and against the reference server answering like a web page. Before the fix the search gave a
DicomJSONError naming no URL, the upload a bare ``HTTP 405``, the retrieve HTML as an instance.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dicomkit import AsyncDicomClient, DicomClient
from dicomkit.core.errors import DicomJSONError, MethodNotAllowedError, NotDicomWebError
from dicomkit.testing.data import make_instance

HTML = {"Content-Type": "text/html; charset=utf-8"}
PAGE = b"<!DOCTYPE html><html><head><title>Explorer</title></head></html>"


def assert_points_at_the_root(error: BaseException, rest_root: str) -> None:
    text = str(error)
    assert any(f"{rest_root}/{level}" in text for level in ("studies", "series", "instances"))
    assert f"Is {rest_root} the server's DICOMweb root?" in text
    assert f"{rest_root}/dicom-web" in text


def test_upload_to_orthancs_rest_root_names_the_dicomweb_root(
    orthanc: Any, sync_backend: str
) -> None:
    client = DicomClient(orthanc.base_url, transport=sync_backend, retry=False)
    with client, pytest.raises(MethodNotAllowedError) as caught:
        client.store_instances([make_instance()])
    assert caught.value.status == 405
    assert_points_at_the_root(caught.value, orthanc.base_url)


@pytest.mark.parametrize(
    "level", ["search_for_studies", "search_for_series", "search_for_instances"]
)
def test_searching_orthancs_rest_root_names_the_dicomweb_root(
    orthanc: Any, sync_backend: str, level: str
) -> None:
    with DicomClient(orthanc.url) as right:
        right.store_instances([make_instance()])
    client = DicomClient(orthanc.base_url, transport=sync_backend, retry=False)
    with client, pytest.raises(NotDicomWebError) as caught:
        getattr(client, level)()
    assert caught.value.content_type == "application/json"
    assert isinstance(caught.value.__cause__, DicomJSONError)
    assert_points_at_the_root(caught.value, orthanc.base_url)


async def test_the_async_client_says_the_same(orthanc: Any, async_backend: str) -> None:
    with DicomClient(orthanc.url) as right:
        right.store_instances([make_instance()])
    client = AsyncDicomClient(orthanc.base_url, transport=async_backend, retry=False)
    async with client:
        with pytest.raises(NotDicomWebError) as searched:
            await client.search_for_studies()
        with pytest.raises(MethodNotAllowedError) as stored:
            await client.store_instances([make_instance()])
    assert_points_at_the_root(searched.value, orthanc.base_url)
    assert_points_at_the_root(stored.value, orthanc.base_url)


def test_an_empty_rest_answer_cannot_be_told_from_an_empty_search(
    orthanc: Any, sync_backend: str
) -> None:
    """Documented limit: ``[]`` as application/json is what a pre-2016 server sends too."""
    with DicomClient(orthanc.base_url, transport=sync_backend, retry=False) as client:
        assert client.search_for_studies() == []


def test_the_dicomweb_root_of_orthanc_is_not_refused(orthanc: Any, sync_backend: str) -> None:
    with DicomClient(orthanc.url, transport=sync_backend, retry=False) as client:
        ds = make_instance()
        client.store_instances([ds])
        assert len(client.search_for_studies()) == 1
        assert client.retrieve_instance_metadata(
            ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID
        )


def test_a_web_page_instead_of_a_search_is_refused(dicomweb_server: Any, sync_backend: str) -> None:
    dicomweb_server.faults.add("/studies", method="GET", status=200, body=PAGE, headers=HTML)
    client = DicomClient(dicomweb_server.url, transport=sync_backend, retry=False)
    with client, pytest.raises(NotDicomWebError) as caught:
        client.search_for_studies()
    assert caught.value.content_type == "text/html"
    assert caught.value.url.startswith(dicomweb_server.url + "/studies")
    assert f"Is {dicomweb_server.url} the server's DICOMweb root?" in str(caught.value)


async def test_a_web_page_instead_of_an_instance_is_refused_and_writes_nothing(
    dicomweb_server: Any, async_backend: str, tmp_path: Path
) -> None:
    ds = make_instance()
    client = AsyncDicomClient(dicomweb_server.url, transport=async_backend, retry=False)
    async with client:
        await client.store_instances([ds])
        study = ds.StudyInstanceUID
        dicomweb_server.faults.add(f"/studies/{study}", status=200, body=PAGE, headers=HTML)
        with pytest.raises(NotDicomWebError):
            await client.retrieve_study(study)
        dicomweb_server.faults.add(f"/studies/{study}", status=200, body=PAGE, headers=HTML)
        with pytest.raises(NotDicomWebError):
            await client.download_dicom(tmp_path / "out", study)
    assert not (tmp_path / "out").exists()


def test_dicom_json_labelled_application_json_is_still_read(
    dicomweb_server: Any, sync_backend: str
) -> None:
    """A server that labels DICOM JSON with the pre-2016 type keeps working."""
    body = b'[{"0020000D": {"vr": "UI", "Value": ["1.2.3"]}}]'
    headers = {"Content-Type": "application/json"}
    dicomweb_server.faults.add("/studies", method="GET", status=200, body=body, headers=headers)
    with DicomClient(dicomweb_server.url, transport=sync_backend, retry=False) as client:
        assert client.search_for_studies() == [{"0020000D": {"vr": "UI", "Value": ["1.2.3"]}}]


def test_malformed_dicom_json_is_still_a_dicom_json_error(
    dicomweb_server: Any, sync_backend: str
) -> None:
    """A server that says application/dicom+json and breaks it has a bug: not a URL problem."""
    headers = {"Content-Type": "application/dicom+json"}
    dicomweb_server.faults.add("/studies", status=200, body=b'["x"]', headers=headers)
    client = DicomClient(dicomweb_server.url, transport=sync_backend, retry=False)
    with client, pytest.raises(DicomJSONError) as caught:
        client.search_for_studies()
    assert not isinstance(caught.value, NotDicomWebError)
