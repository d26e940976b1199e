"""STOW-RS statuses and response bodies, driven with plain HTTP."""

from __future__ import annotations

import pytest
import requests
from dicomkit_server import (
    CANNOT_UNDERSTAND,
    DUPLICATE_INSTANCE,
    STUDY_MISMATCH,
    ReferenceServer,
)

from dicomkit.testing.data import dataset_bytes, make_instance, make_study, new_uid

FAILED = "00081198"
REFERENCED = "00081199"


def _reasons(body: dict) -> list[int]:
    return [item["00081197"]["Value"][0] for item in body.get(FAILED, {}).get("Value", [])]


def _stored_uids(body: dict) -> list[str]:
    return [item["00081155"]["Value"][0] for item in body.get(REFERENCED, {}).get("Value", [])]


def test_all_stored_is_200_with_retrieve_urls(url, stow):
    datasets = make_study(3, n_series=2)
    response = stow(url, datasets)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/dicom+json")
    body = response.json()
    assert sorted(_stored_uids(body)) == sorted(ds.SOPInstanceUID for ds in datasets)
    study = datasets[0].StudyInstanceUID
    assert body["00081190"]["Value"] == [f"{url}/studies/{study}"]
    for item in body[REFERENCED]["Value"]:
        link = item["00081190"]["Value"][0]
        assert requests.get(link, timeout=10).status_code == 200
    assert FAILED not in body


def test_some_failed_is_202_and_non_dicom_part_is_reported(url, stow):
    good = make_instance()
    response = stow(url, [good, b"this is not DICOM at all"])
    assert response.status_code == 202
    body = response.json()
    assert _stored_uids(body) == [good.SOPInstanceUID]
    assert _reasons(body) == [CANNOT_UNDERSTAND]
    assert "part 2" in response.headers["Warning"]


def test_none_stored_is_409(url, stow):
    response = stow(url, [b"garbage one", b"garbage two"])
    assert response.status_code == 409
    assert _reasons(response.json()) == [CANNOT_UNDERSTAND, CANNOT_UNDERSTAND]


def test_study_mismatch_fails_with_272(url, stow):
    study = new_uid()
    matching = make_instance(study_uid=study)
    other = make_instance()
    response = stow(url, [matching, other], study=study)
    assert response.status_code == 202
    body = response.json()
    assert _stored_uids(body) == [matching.SOPInstanceUID]
    assert _reasons(body) == [STUDY_MISMATCH] == [272]
    failed = body[FAILED]["Value"][0]
    assert failed["00081155"]["Value"] == [other.SOPInstanceUID]

    alone = stow(url, [make_instance()], study=study)
    assert alone.status_code == 409


def test_duplicate_rejected_with_45070(url, stow):
    ds = make_instance()
    assert stow(url, [ds]).status_code == 200
    again = stow(url, [ds])
    assert again.status_code == 409
    assert _reasons(again.json()) == [DUPLICATE_INSTANCE] == [45070]


def test_duplicate_replaced_under_replace_policy(stow):
    ds = make_instance(patient_id="FIRST")
    with ReferenceServer(duplicate_policy="replace") as base:
        assert stow(base, [ds]).status_code == 200
        ds.PatientID = "SECOND"
        assert stow(base, [ds]).status_code == 200
        found = requests.get(f"{base}/instances", timeout=10).json()
    assert len(found) == 1
    assert found[0]["00100020"]["Value"] == ["SECOND"]


def test_part_with_other_media_type_is_reported_not_dropped(url, stow):
    response = stow(url, [make_instance()], part_type="application/octet-stream")
    assert response.status_code == 409
    assert _reasons(response.json()) == [CANNOT_UNDERSTAND]


def test_dataset_without_preamble_is_stored_as_part10(url, stow):
    ds = make_instance()
    raw = dataset_bytes(ds)[128 + 4 :]
    assert stow(url, [raw]).status_code == 200
    series = f"{url}/studies/{ds.StudyInstanceUID}/series/{ds.SeriesInstanceUID}"
    link = f"{series}/instances/{ds.SOPInstanceUID}"
    got = requests.get(link, headers={"Accept": "application/dicom"}, timeout=10)
    assert got.status_code == 200
    assert got.content[128:132] == b"DICM"


@pytest.mark.parametrize(
    "content_type",
    ["application/dicom", "application/json", 'multipart/related; type="application/dicom+json"'],
)
def test_wrong_media_type_is_415(url, content_type):
    response = requests.post(
        f"{url}/studies", data=b"x", headers={"Content-Type": content_type}, timeout=10
    )
    assert response.status_code == 415


@pytest.mark.parametrize(
    "body",
    [b"no delimiter anywhere", b"--abc\r\nContent-Type: application/dicom\r\n\r\ncut short"],
)
def test_malformed_multipart_is_400(url, body):
    headers = {"Content-Type": 'multipart/related; type="application/dicom"; boundary=abc'}
    response = requests.post(f"{url}/studies", data=body, headers=headers, timeout=10)
    assert response.status_code == 400


def test_missing_boundary_is_400(url):
    headers = {"Content-Type": 'multipart/related; type="application/dicom"'}
    response = requests.post(f"{url}/studies", data=b"--x--", headers=headers, timeout=10)
    assert response.status_code == 400


def test_large_upload_streams_through(url, stow):
    datasets = make_study(2, rows=512, cols=512, frames=4)
    response = stow(url, datasets)
    assert response.status_code == 200
    assert len(_stored_uids(response.json())) == 2
