"""Orthanc driven by dicomweb-client: the baseline of what a widely used peer client sees.

If dicomkit ever does worse than this against the same Orthanc, that is our bug; where
dicomweb-client itself trips over an Orthanc quirk, the test says so.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any

import pydicom
import pytest
import requests
from dicomkit_server.orthanc import OrthancServer
from dicomweb_client import DICOMwebClient
from dicomweb_client.session_utils import create_session_from_user_pass

MakeInstance = Callable[..., bytes]


@pytest.fixture
def peer(orthanc: OrthancServer) -> Iterator[DICOMwebClient]:
    session = requests.Session()
    yield DICOMwebClient(orthanc.url, session=session)
    session.close()


@pytest.fixture
def stored(
    peer: DICOMwebClient, make_instance: MakeInstance, new_uid: Callable[[], str]
) -> dict[str, Any]:
    study, series = new_uid(), new_uid()
    datasets = [
        pydicom.dcmread(io.BytesIO(make_instance(study=study, series=series))),
        pydicom.dcmread(io.BytesIO(make_instance(study=study, series=series, frames=3))),
    ]
    response = peer.store_instances(datasets)
    return {"study": study, "series": series, "datasets": datasets, "response": response}


def test_store_reports_every_instance(stored: dict[str, Any]) -> None:
    referenced = stored["response"].ReferencedSOPSequence
    assert {item.ReferencedSOPInstanceUID for item in referenced} == {
        ds.SOPInstanceUID for ds in stored["datasets"]
    }
    assert "FailedSOPSequence" not in stored["response"] or not stored["response"].FailedSOPSequence


def test_search_at_every_level(peer: DICOMwebClient, stored: dict[str, Any]) -> None:
    studies = peer.search_for_studies(search_filters={"PatientID": "ORTHANC-SMOKE"})
    assert [s["0020000D"]["Value"][0] for s in studies] == [stored["study"]]
    series = peer.search_for_series(stored["study"])
    assert [s["0020000E"]["Value"][0] for s in series] == [stored["series"]]
    instances = peer.search_for_instances(stored["study"], stored["series"])
    assert sorted(i["00080018"]["Value"][0] for i in instances) == sorted(
        ds.SOPInstanceUID for ds in stored["datasets"]
    )
    assert peer.search_for_studies(search_filters={"PatientID": "NOBODY"}) == []


def test_wildcard_and_caret_searches_find_nothing(
    peer: DICOMwebClient, stored: dict[str, Any]
) -> None:
    """requests percent-encodes ``*`` and ``^``, and Orthanc 1.10 does not decode query values.

    So through dicomweb-client no wildcard or person-name search matches on Orthanc; only exact
    values made of unreserved characters do (see docs/orthanc.md).
    """
    assert peer.search_for_studies(search_filters={"PatientName": "Smoke*"}) == []
    assert peer.search_for_studies(search_filters={"PatientName": "Smoke^Test"}) == []
    assert len(peer.search_for_studies(search_filters={"PatientID": "ORTHANC-SMOKE"})) == 1


def test_retrieve_study_instance_and_metadata(peer: DICOMwebClient, stored: dict[str, Any]) -> None:
    retrieved = peer.retrieve_study(stored["study"])
    by_uid = {ds.SOPInstanceUID: ds for ds in retrieved}
    for original in stored["datasets"]:
        assert by_uid[original.SOPInstanceUID].PixelData == original.PixelData
    first = stored["datasets"][0]
    one = peer.retrieve_instance(stored["study"], stored["series"], first.SOPInstanceUID)
    assert one.PixelData == first.PixelData
    metadata = peer.retrieve_study_metadata(stored["study"])
    assert sorted(m["00080018"]["Value"][0] for m in metadata) == sorted(by_uid)


def test_retrieve_frames_needs_an_explicit_media_type(
    peer: DICOMwebClient, stored: dict[str, Any]
) -> None:
    """dicomweb-client's default frames Accept (``type="*/*"``) gets 400 from Orthanc."""
    multi = stored["datasets"][1]
    uids = (stored["study"], stored["series"], multi.SOPInstanceUID)
    with pytest.raises(requests.HTTPError) as caught:
        peer.retrieve_instance_frames(*uids, frame_numbers=[1, 3])
    assert caught.value.response.status_code == 400
    frames = peer.retrieve_instance_frames(
        *uids, frame_numbers=[1, 3], media_types=("application/octet-stream",)
    )
    assert frames == [multi.PixelData[:64], multi.PixelData[128:192]]


def test_delete_is_refused_with_405(peer: DICOMwebClient, stored: dict[str, Any]) -> None:
    with pytest.raises(requests.HTTPError) as caught:
        peer.delete_study(stored["study"])
    assert caught.value.response.status_code == 405
    assert len(peer.search_for_studies()) == 1


def test_basic_auth_session(orthanc_with_auth: OrthancServer, make_instance: MakeInstance) -> None:
    assert orthanc_with_auth.users is not None
    password = orthanc_with_auth.users["alice"]
    good = DICOMwebClient(
        orthanc_with_auth.url, session=create_session_from_user_pass("alice", password)
    )
    good.store_instances([pydicom.dcmread(io.BytesIO(make_instance()))])
    assert len(good.search_for_studies()) == 1
    bad = DICOMwebClient(orthanc_with_auth.url, session=create_session_from_user_pass("alice", "x"))
    with pytest.raises(requests.HTTPError) as caught:
        bad.search_for_studies()
    assert caught.value.response.status_code == 401
