"""The proof that the reference server speaks DICOMweb, not a dialect of our own client: a peer
client nobody here wrote (dicomweb-client) stores, searches, retrieves and deletes."""

from __future__ import annotations

import pydicom
import pytest
import requests
from dicomweb_client.api import DICOMwebClient
from pydicom.data import get_testdata_file
from pydicom.encaps import generate_frames
from pydicom.uid import RLELossless

from dicomkit.testing.data import make_instance, make_study


@pytest.fixture
def client(url: str) -> DICOMwebClient:
    return DICOMwebClient(url)


@pytest.fixture
def study(client: DICOMwebClient) -> list[pydicom.Dataset]:
    datasets = make_study(4, n_series=2, patient_name="Peer^Client", patient_id="PEER")
    response = client.store_instances(datasets)
    assert len(response.ReferencedSOPSequence) == 4
    return datasets


def test_store_reports_every_instance(client):
    datasets = make_study(2)
    response = client.store_instances(datasets)
    stored = sorted(item.ReferencedSOPInstanceUID for item in response.ReferencedSOPSequence)
    assert stored == sorted(ds.SOPInstanceUID for ds in datasets)
    assert "FailedSOPSequence" not in response


def test_store_to_study_url(client):
    ds = make_instance()
    response = client.store_instances([ds], study_instance_uid=ds.StudyInstanceUID)
    assert response.RetrieveURL.endswith(ds.StudyInstanceUID)


def test_search_every_level(client, study):
    uid = study[0].StudyInstanceUID
    series_uid = study[0].SeriesInstanceUID
    studies = client.search_for_studies(search_filters={"PatientID": "PEER"})
    assert [s["0020000D"]["Value"][0] for s in studies] == [uid]
    assert len(client.search_for_series()) == 2
    assert len(client.search_for_series(study_instance_uid=uid)) == 2
    assert len(client.search_for_instances()) == 4
    assert len(client.search_for_instances(study_instance_uid=uid)) == 4
    in_series = client.search_for_instances(study_instance_uid=uid, series_instance_uid=series_uid)
    assert len(in_series) == 2


def test_search_options(client, study):
    fuzzy = client.search_for_studies(fuzzymatching=True, search_filters={"PatientName": "peer"})
    assert len(fuzzy) == 1
    fields = client.search_for_studies(fields=["StudyDescription"])
    assert fields[0]["00081030"]["Value"] == ["dicomkit test study"]
    first_page = client.search_for_instances(limit=3)
    second_page = client.search_for_instances(limit=3, offset=3)
    assert len(first_page) == 3
    assert len(second_page) == 1
    everything = client.search_for_instances(limit=1, get_remaining=True)
    assert len(everything) == 4


def test_retrieve_study_series_instance(client, study):
    ds = study[0]
    by_uid = {item.SOPInstanceUID: item for item in study}
    retrieved_study = client.retrieve_study(ds.StudyInstanceUID)
    assert sorted(item.SOPInstanceUID for item in retrieved_study) == sorted(by_uid)
    for item in retrieved_study:
        assert item.PixelData == by_uid[item.SOPInstanceUID].PixelData
    series = client.retrieve_series(ds.StudyInstanceUID, ds.SeriesInstanceUID)
    assert len(series) == 2
    instance = client.retrieve_instance(
        ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID
    )
    assert instance.SOPInstanceUID == ds.SOPInstanceUID
    assert instance.PatientName == "Peer^Client"


def test_retrieve_metadata(client, study):
    ds = study[0]
    metadata = client.retrieve_instance_metadata(
        ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID
    )
    assert metadata["00080018"]["Value"] == [ds.SOPInstanceUID]
    assert "BulkDataURI" in metadata["7FE00010"]
    series_metadata = client.retrieve_series_metadata(ds.StudyInstanceUID, ds.SeriesInstanceUID)
    assert len(series_metadata) == 2
    study_metadata = client.retrieve_study_metadata(ds.StudyInstanceUID)
    assert len(study_metadata) == 4
    dataset = pydicom.Dataset.from_json(metadata, bulk_data_uri_handler=_fetch_bulk)
    assert dataset.PixelData == ds.PixelData


def _fetch_bulk(tag: str, vr: str, uri: str) -> bytes:
    response = requests.get(uri, headers={"Accept": "application/octet-stream"}, timeout=10)
    response.raise_for_status()
    return response.content


def test_retrieve_native_frames(client):
    ds = make_instance(rows=8, cols=8, frames=3)
    client.store_instances([ds])
    frames = client.retrieve_instance_frames(
        ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID, frame_numbers=[1, 3]
    )
    size = 8 * 8 * 2
    assert frames == [ds.PixelData[:size], ds.PixelData[2 * size :]]
    octet = client.retrieve_instance_frames(
        ds.StudyInstanceUID,
        ds.SeriesInstanceUID,
        ds.SOPInstanceUID,
        frame_numbers=[2],
        media_types=(("application/octet-stream", "*"),),
    )
    assert octet == [ds.PixelData[size : 2 * size]]


def test_retrieve_encapsulated_frames(client):
    ds = make_instance(rows=16, cols=16, frames=2, transfer_syntax=RLELossless)
    bundled = pydicom.dcmread(get_testdata_file("SC_rgb_rle_2frame.dcm"))
    client.store_instances([ds, bundled])
    frames = client.retrieve_instance_frames(
        ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID, frame_numbers=[2]
    )
    assert frames == [list(generate_frames(ds.PixelData, number_of_frames=2))[1]]
    rle = client.retrieve_instance_frames(
        bundled.StudyInstanceUID,
        bundled.SeriesInstanceUID,
        bundled.SOPInstanceUID,
        frame_numbers=[1, 2],
        media_types=(("image/x-dicom-rle", RLELossless),),
    )
    assert rle == list(generate_frames(bundled.PixelData, number_of_frames=2))


def test_retrieve_rendered(client, study):
    ds = study[0]
    image = client.retrieve_instance_rendered(
        ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID, media_types=("image/png",)
    )
    assert image.startswith(b"\x89PNG")


@pytest.mark.filterwarnings("ignore:Invalid value for VR UI")
def test_bundled_files_round_trip(client):
    """Files pydicom ships (one has a non-conformant UID, which the server stores anyway)."""
    names = ["CT_small.dcm", "MR_small.dcm", "rtdose.dcm", "waveform_ecg.dcm", "test-SR.dcm"]
    datasets = [pydicom.dcmread(get_testdata_file(name)) for name in names]
    response = client.store_instances(datasets)
    assert "FailedSOPSequence" not in response
    for ds in datasets:
        got = client.retrieve_instance(
            ds.StudyInstanceUID,
            ds.SeriesInstanceUID,
            ds.SOPInstanceUID,
            media_types=(("application/dicom", "*"),),
        )
        assert got.SOPInstanceUID == ds.SOPInstanceUID


def test_delete(client, study):
    ds = study[0]
    client.delete_instance(ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID)
    assert len(client.search_for_instances()) == 3
    client.delete_series(ds.StudyInstanceUID, ds.SeriesInstanceUID)
    assert len(client.search_for_instances()) == 2
    client.delete_study(ds.StudyInstanceUID)
    assert client.search_for_studies() == []
