"""The compat class on real HTTP: the reference server and Orthanc (issue 20).

dicomweb-client's own suite (test_dicomweb_client_suite.py) runs against a canned-answer server;
these tests check the same calls against real DICOMweb servers, and the exception behaviour a
migrating user's ``except`` clauses rely on.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pydicom
import pytest
import requests

import dicomkit
from dicomkit.compat.dicomweb_client import DICOMwebClient, HTTPError, RetryError
from dicomkit.testing.data import make_instance, new_uid
from tests._support.ci import require_module


@pytest.fixture(params=["reference", "orthanc"])
def server(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    """(kind, base URL) of an empty server."""
    if request.param == "reference":
        yield "reference", request.getfixturevalue("dicomweb_server").url
    else:
        yield "orthanc", request.getfixturevalue("orthanc").url


@pytest.fixture
def client(server: tuple[str, str]) -> DICOMwebClient:
    compat = DICOMwebClient(server[1])
    compat.set_http_retry_params(retry=False)
    return compat


def test_store_search_retrieve(client: DICOMwebClient, server: tuple[str, str]) -> None:
    study, series = new_uid(), new_uid()
    datasets = [
        make_instance(study_uid=study, series_uid=series, patient_id="COMPAT-1", frames=n)
        for n in (1, 3)
    ]
    answer = client.store_instances(datasets)
    assert isinstance(answer, pydicom.Dataset)
    assert {item.ReferencedSOPInstanceUID for item in answer.ReferencedSOPSequence} == {
        ds.SOPInstanceUID for ds in datasets
    }
    found = client.search_for_studies(search_filters={"PatientID": "COMPAT-1"})
    assert [s["0020000D"]["Value"][0] for s in found] == [study]
    assert len(client.search_for_instances(study, series, limit=1, get_remaining=True)) == 2
    many = datasets[1]
    uids = (study, series, many.SOPInstanceUID)
    instance = client.retrieve_instance(*uids)
    assert instance.SOPInstanceUID == many.SOPInstanceUID
    assert instance.PixelData == many.PixelData
    assert sorted(ds.SOPInstanceUID for ds in client.iter_series(study, series)) == sorted(
        ds.SOPInstanceUID for ds in datasets
    )
    metadata = client.retrieve_instance_metadata(*uids)
    assert metadata["00080018"]["Value"] == [many.SOPInstanceUID]
    size = len(many.PixelData) // 3
    expected = [many.PixelData[:size], many.PixelData[2 * size :]]
    octets = ("application/octet-stream",)
    assert client.retrieve_instance_frames(*uids, [1, 3], media_types=octets) == expected
    if server[0] == "reference":  # Orthanc 1.10 answers type="*/*" with 400, as for the peer
        assert client.retrieve_instance_frames(*uids, [1, 3]) == expected


def test_http_errors_are_requests_and_dicomkit_errors(client: DICOMwebClient) -> None:
    with pytest.raises(requests.exceptions.HTTPError) as caught:
        client.retrieve_study_metadata(new_uid())
    error = caught.value
    assert isinstance(error, HTTPError)
    assert isinstance(error, dicomkit.NotFoundError)
    assert error.status == error.response.status_code == 404


def test_a_uid_unsafe_in_a_path_is_refused_even_when_permissive(server: tuple[str, str]) -> None:
    strict, lenient = DICOMwebClient(server[1]), DICOMwebClient(server[1], permissive_uid=True)
    for uid in ("1.2/3", "../4", "1.2?x", "5#6", "1.2%2F3", "1.2@3"):
        with pytest.raises(ValueError, match="must match regex"):
            lenient.search_for_series(uid)
    with pytest.raises(dicomkit.InvalidUIDError):
        strict.search_for_series("1.02.3")
    assert lenient.search_for_series("1.02.3") == []  # sent: no study has it


def test_prefixes_reassigned_after_construction_are_used(dicomweb_server: Any) -> None:
    compat = DICOMwebClient(dicomweb_server.url + "/nothing-here")
    compat.set_http_retry_params(retry=False)
    with pytest.raises(dicomkit.NotFoundError):
        compat.search_for_studies()
    compat.base_url = dicomweb_server.url
    compat.qido_url_prefix = None
    assert compat.search_for_studies() == []
    with pytest.raises(ValueError, match="zero length"):
        compat.wado_url_prefix = ""


def test_retries_end_in_retry_error(dicomweb_server: Any) -> None:
    retrying = require_module("retrying")
    dicomweb_server.faults.add("/studies", method="GET", status=503, times=None)
    compat = DICOMwebClient(dicomweb_server.url)
    compat.set_http_retry_params(max_attempts=3, wait_exponential_multiplier=1)
    with pytest.raises(RetryError) as caught:
        compat.search_for_studies()
    assert isinstance(caught.value, retrying.RetryError)
    assert isinstance(caught.value, dicomkit.DicomkitError)
    assert isinstance(caught.value.error, dicomkit.ServiceUnavailableError)
    assert caught.value.last_attempt.attempt_number == 3
    assert len([r for r in dicomweb_server.requests if r.method == "GET"]) == 3


def test_delete_on_orthanc_is_a_405_both_ways(orthanc: Any) -> None:
    compat = DICOMwebClient(orthanc.url)
    with pytest.raises(requests.exceptions.HTTPError) as caught:
        compat.delete_study(new_uid())
    assert isinstance(caught.value, dicomkit.MethodNotAllowedError)
