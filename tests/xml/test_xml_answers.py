"""Searches and metadata asked as DICOM XML (``Dialect(answers="xml")``) give the same
results as DICOM JSON, through every backend, from the reference server and from Orthanc."""

from __future__ import annotations

from typing import Any

import pytest
from dicomkit_server.orthanc import OrthancServer

from dicomkit import AsyncDicomClient, DicomClient
from dicomkit.core.operations import ORTHANC, STANDARD, Dialect
from dicomkit.testing.data import make_study

XML = Dialect("xml", answers="xml")


def _stored(url: str, dialect: Dialect = STANDARD) -> list[Any]:
    datasets = make_study(3, n_series=2, patient_name="Doe^Jane")
    with DicomClient(url, dialect=dialect) as client:
        client.store_instances(datasets)
    return datasets


def _answers(client: DicomClient, study: str) -> dict[str, Any]:
    return {
        "studies": client.search_for_studies(search_filters={"PatientName": "Doe^Jane"}),
        "series": client.search_for_series(study),
        "instances": client.search_for_instances(study, fields=["all"]),
        "metadata": client.retrieve_study_metadata(study),
        "empty": client.search_for_studies(search_filters={"PatientID": "NOBODY"}),
    }


def test_xml_answers_equal_json_answers(dicomweb_server: Any, sync_backend: str) -> None:
    study = _stored(dicomweb_server.url)[0].StudyInstanceUID
    with DicomClient(dicomweb_server.url, transport=sync_backend) as plain:
        expected = _answers(plain, study)
    before = len(dicomweb_server.requests)
    with DicomClient(dicomweb_server.url, transport=sync_backend, dialect=XML) as xml:
        got = _answers(xml, study)
    assert got == expected
    assert len(got["instances"]) == 3
    accepts = {r.headers.get("Accept") for r in dicomweb_server.requests[before:]}
    assert accepts == {'multipart/related; type="application/dicom+xml"'}


async def test_async_xml_answers_equal_json_answers(
    dicomweb_server: Any, async_backend: str
) -> None:
    datasets = _stored(dicomweb_server.url)
    study, series, sop = (
        datasets[0].StudyInstanceUID,
        datasets[0].SeriesInstanceUID,
        datasets[0].SOPInstanceUID,
    )
    async with AsyncDicomClient(dicomweb_server.url, transport=async_backend) as plain:
        expected = await plain.retrieve_instance_metadata(study, series, sop)
        found = await plain.search_for_series(study)
    async with AsyncDicomClient(dicomweb_server.url, transport=async_backend, dialect=XML) as xml:
        assert await xml.retrieve_instance_metadata(study, series, sop) == expected
        assert await xml.search_for_series(study) == found
    assert "7FE00010" in expected
    assert "BulkDataURI" in expected["7FE00010"]


def test_reference_server_answers_xml_parts(dicomweb_server: Any) -> None:
    import requests

    _stored(dicomweb_server.url)
    answer = requests.get(
        dicomweb_server.url + "/studies",
        headers={"Accept": 'multipart/related; type="application/dicom+xml"'},
        timeout=10,
    )
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith(
        'multipart/related; type="application/dicom+xml"'
    )
    assert b"<NativeDicomModel" in answer.content
    refused = requests.get(
        dicomweb_server.url + "/studies", headers={"Accept": "text/html"}, timeout=10
    )
    assert refused.status_code == 406


@pytest.fixture
def orthanc_url(orthanc: OrthancServer) -> str:
    return orthanc.url


def test_orthanc_metadata_in_xml_equals_json(orthanc_url: str, sync_backend: str) -> None:
    """Orthanc 1.10 answers metadata in XML when asked and searches in JSON whatever is
    asked: both read into the same results."""
    study = _stored(orthanc_url, ORTHANC)[0].StudyInstanceUID
    with DicomClient(orthanc_url, transport=sync_backend, dialect=ORTHANC) as plain:
        metadata = plain.retrieve_study_metadata(study)
        series = plain.search_for_series(study)
    xml_orthanc = Dialect("orthanc-xml", answers="xml", query_raw="^,", multipart_renderings=False)
    with DicomClient(orthanc_url, transport=sync_backend, dialect=xml_orthanc) as xml:
        assert _sorted(xml.retrieve_study_metadata(study)) == _sorted(metadata)
        assert xml.search_for_series(study) == series


def _sorted(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(items, key=lambda item: str(item.get("00080018")))


def test_xml_answers_are_bounded_like_json(dicomweb_server: Any, sync_backend: str) -> None:
    """``max_json_bytes`` bounds an XML answer too (it is read by the same exchange)."""
    from dicomkit.core.errors import ProtocolError

    study = _stored(dicomweb_server.url)[0].StudyInstanceUID
    options: dict[str, Any] = {"transport": sync_backend, "max_json_bytes": 2048}
    with (
        DicomClient(dicomweb_server.url, dialect=XML, **options) as xml,
        pytest.raises(ProtocolError, match="max_json_bytes=2048"),
    ):
        xml.retrieve_study_metadata(study)
