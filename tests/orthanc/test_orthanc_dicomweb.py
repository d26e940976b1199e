"""Smoke tests of a real Orthanc through plain HTTP: what a DICOMweb client meets in the field.

Each Orthanc quirk the client must cope with is pinned here, so an Orthanc upgrade that changes
one shows up as a failing test rather than as a silent change in what dicomkit is proven against.
"""

from __future__ import annotations

import io
import json
import re
import uuid
from collections.abc import Callable
from typing import Any

import pydicom
import pytest
from dicomkit_server.orthanc import OrthancServer

DICOM = "application/dicom"
DICOM_JSON = "application/dicom+json"

STUDY_ACCEPT = {"Accept": f'multipart/related; type="{DICOM}"'}
FRAMES_ACCEPT = {"Accept": 'multipart/related; type="application/octet-stream"'}

PATIENT_ID = "00100020"
STUDY_UID = "0020000D"
SERIES_UID = "0020000E"
SOP_UID = "00080018"
FAILED_SOP_SEQUENCE = "00081198"
REFERENCED_SOP_SEQUENCE = "00081199"
FAILURE_REASON = "00081197"
PIXEL_DATA = "7FE00010"


def new_uid() -> str:
    return f"2.25.{uuid.uuid4().int}"


def values(items: list[dict[str, Any]], tag: str) -> list[str]:
    return sorted(item[tag]["Value"][0] for item in items)


def sequence(body: dict[str, Any], tag: str) -> list[dict[str, Any]]:
    return list(body.get(tag, {}).get("Value", []))


@pytest.fixture
def study(http: Any, make_instance: Callable[..., bytes]) -> dict[str, Any]:
    """One study in Orthanc: series A with two single-frame images, series B with one 2-frame."""
    study, series_a, series_b = new_uid(), new_uid(), new_uid()
    sops = {"a1": new_uid(), "a2": new_uid(), "b1": new_uid()}
    bodies = {
        "a1": make_instance(study=study, series=series_a, sop=sops["a1"]),
        "a2": make_instance(study=study, series=series_a, sop=sops["a2"]),
        "b1": make_instance(study=study, series=series_b, sop=sops["b1"], frames=2),
    }
    reply = http.stow(list(bodies.values()))
    assert reply.status == 200, reply.data
    return {
        "study": study,
        "series": {"a": series_a, "b": series_b},
        "sops": sops,
        "bodies": bodies,
        "stow": reply,
    }


def test_stow_answers_dicom_json_listing_every_stored_instance(study: dict[str, Any]) -> None:
    reply = study["stow"]
    assert reply.headers["Content-Type"] == DICOM_JSON
    body = reply.json()
    stored = sequence(body, REFERENCED_SOP_SEQUENCE)
    assert values(stored, "00081155") == sorted(study["sops"].values())
    assert sequence(body, FAILED_SOP_SEQUENCE) == []


def test_qido_at_every_level(http: Any, study: dict[str, Any]) -> None:
    studies = http.request("GET", "/studies").json()
    assert values(studies, STUDY_UID) == [study["study"]]

    series = http.request("GET", f"/studies/{study['study']}/series").json()
    assert values(series, SERIES_UID) == sorted(study["series"].values())

    instances = http.request("GET", f"/studies/{study['study']}/instances").json()
    assert values(instances, SOP_UID) == sorted(study["sops"].values())

    nested = http.request(
        "GET", f"/studies/{study['study']}/series/{study['series']['a']}/instances"
    ).json()
    assert values(nested, SOP_UID) == sorted([study["sops"]["a1"], study["sops"]["a2"]])

    by_uid = http.request("GET", "/instances", fields={"SOPInstanceUID": study["sops"]["b1"]})
    assert values(by_uid.json(), SOP_UID) == [study["sops"]["b1"]]


def test_qido_matches_attributes_and_answers_empty_array(http: Any, study: dict[str, Any]) -> None:
    hit = http.request("GET", "/studies?PatientID=ORTHANC*&StudyDate=20240101-20240103")
    assert values(hit.json(), PATIENT_ID) == ["ORTHANC-SMOKE"]
    miss = http.request("GET", "/studies?PatientID=NOBODY")
    assert (miss.status, miss.json()) == (200, [])


@pytest.mark.parametrize(
    ("query", "matches"),
    [
        ("PatientID=ORTHANC-SMOKE", 1),
        ("PatientID=ORTHANC%2DSMOKE", 0),
        ("PatientID=ORTHANC*", 1),
        ("PatientID=ORTHANC%2A", 0),
        ("PatientName=Smoke^Test", 1),
        ("PatientName=Smoke%5ETest", 0),
    ],
)
def test_qido_values_are_matched_without_percent_decoding(
    http: Any, study: dict[str, Any], query: str, matches: int
) -> None:
    """Orthanc 1.10 compares query values raw: a client must send ``*``, ``^`` and ``-`` as is.

    urllib3 and requests percent-encode ``^`` themselves, so a person-name query with ``^``
    sent through them finds nothing on Orthanc.
    """
    # http.client sends the target exactly as given (urllib3 would encode the ^ itself).
    status, _, body = http.server.request("GET", f"/dicom-web/studies?{query}")
    assert (status, len(json.loads(body))) == (200, matches)


def test_wado_study_is_multipart_ending_at_connection_close(
    http: Any, study: dict[str, Any]
) -> None:
    reply = http.request("GET", f"/studies/{study['study']}", headers=STUDY_ACCEPT)
    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith(f'multipart/related; type="{DICOM}"')
    # Orthanc streams the body without a length and without chunking: the end is the close.
    assert "Content-Length" not in reply.headers
    assert "Transfer-Encoding" not in reply.headers
    assert reply.headers["Connection"] == "close"
    parts = http.parts(reply)
    assert {headers["content-type"] for headers, _ in parts} == {DICOM}
    received = {pydicom.dcmread(io.BytesIO(body)).SOPInstanceUID for _, body in parts}
    assert received == set(study["sops"].values())


def test_wado_instance_returns_the_stored_object(http: Any, study: dict[str, Any]) -> None:
    path = (
        f"/studies/{study['study']}/series/{study['series']['a']}/instances/{study['sops']['a1']}"
    )
    reply = http.request("GET", path, headers=STUDY_ACCEPT)
    assert reply.status == 200
    [(_, body)] = http.parts(reply)
    original = pydicom.dcmread(io.BytesIO(study["bodies"]["a1"]))
    assert pydicom.dcmread(io.BytesIO(body)).PixelData == original.PixelData


def test_metadata_points_pixel_data_at_bulk_data(http: Any, study: dict[str, Any]) -> None:
    reply = http.request("GET", f"/studies/{study['study']}/metadata")
    assert (reply.status, reply.headers["Content-Type"]) == (200, DICOM_JSON)
    items = reply.json()
    assert values(items, SOP_UID) == sorted(study["sops"].values())
    uri = items[0][PIXEL_DATA]["BulkDataURI"]
    assert uri.startswith(http.server.url + "/studies/")


def test_frames_put_transfer_syntax_inside_the_quoted_type(
    http: Any, study: dict[str, Any]
) -> None:
    path = (
        f"/studies/{study['study']}/series/{study['series']['b']}"
        f"/instances/{study['sops']['b1']}/frames/1,2"
    )
    reply = http.request("GET", path, headers=FRAMES_ACCEPT)
    assert reply.status == 200
    content_type = reply.headers["Content-Type"]
    assert re.match(
        r'multipart/related; type="application/octet-stream; transfer-syntax=1\.2\.840\.10008'
        r'\.1\.2\.1"; boundary=',
        content_type,
    ), content_type
    parts = http.parts(reply)
    pixels = pydicom.dcmread(io.BytesIO(study["bodies"]["b1"])).PixelData
    assert [body for _, body in parts] == [pixels[:64], pixels[64:]]
    assert parts[0][0]["content-type"].endswith("transfer-syntax=1.2.840.10008.1.2.1")
    assert parts[0][0]["content-location"].endswith("/frames/1")


def test_error_bodies_are_json_without_content_type(http: Any) -> None:
    reply = http.request("GET", f"/studies/{new_uid()}", headers=STUDY_ACCEPT)
    assert reply.status == 404
    assert "Content-Type" not in reply.headers
    assert reply.json()["HttpStatus"] == 404


def test_duplicates_are_accepted_with_200(http: Any, make_instance: Callable[..., bytes]) -> None:
    instance = make_instance()
    first, second = http.stow([instance]), http.stow([instance])
    assert (first.status, second.status) == (200, 200)
    assert len(sequence(second.json(), REFERENCED_SOP_SEQUENCE)) == 1
    assert len(http.request("GET", "/instances").json()) == 1


def test_a_non_dicom_part_gives_400_and_is_not_listed(
    http: Any, make_instance: Callable[..., bytes]
) -> None:
    good_sop = new_uid()
    reply = http.stow_parts([(DICOM, make_instance(sop=good_sop)), (DICOM, b"not DICOM at all")])
    assert reply.status == 400
    assert "Content-Type" not in reply.headers
    body = reply.json()
    # The good part is stored and listed; the bad one appears nowhere, not even as a failure.
    assert values(sequence(body, REFERENCED_SOP_SEQUENCE), "00081155") == [good_sop]
    assert sequence(body, FAILED_SOP_SEQUENCE) == []
    assert values(http.request("GET", "/instances").json(), SOP_UID) == [good_sop]


def test_a_part_of_another_media_type_is_silently_ignored(http: Any) -> None:
    reply = http.stow_parts([("text/plain", b"hello")])
    assert reply.status == 200
    body = reply.json()
    assert sequence(body, REFERENCED_SOP_SEQUENCE) == sequence(body, FAILED_SOP_SEQUENCE) == []


def test_study_mismatch_gives_409_with_reason_272(
    http: Any, make_instance: Callable[..., bytes]
) -> None:
    sop = new_uid()
    reply = http.stow([make_instance(sop=sop)], study=new_uid())
    assert reply.status == 409
    [failed] = sequence(reply.json(), FAILED_SOP_SEQUENCE)
    assert failed["00081155"]["Value"] == [sop]
    assert failed[FAILURE_REASON]["Value"] == [272]
    assert http.request("GET", "/instances").json() == []


def test_there_is_no_dicomweb_delete(http: Any, study: dict[str, Any]) -> None:
    reply = http.request("DELETE", f"/studies/{study['study']}")
    assert reply.status == 405
    assert reply.headers["Allow"] == "GET,POST"
    assert len(http.request("GET", "/studies").json()) == 1


def test_reset_empties_the_store(
    orthanc: OrthancServer, http: Any, make_instance: Callable[..., bytes]
) -> None:
    assert http.stow([make_instance(), make_instance()]).status == 200
    assert len(http.request("GET", "/studies").json()) == 2
    orthanc.reset()
    assert http.request("GET", "/studies").json() == []


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_json_is_compressed_when_the_client_accepts_it(
    http: Any, study: dict[str, Any], encoding: str
) -> None:
    reply = http.request("GET", "/studies", headers={"Accept-Encoding": encoding})
    assert reply.headers["Content-Encoding"] == encoding
    assert values(reply.json(), STUDY_UID) == [study["study"]]  # urllib3 decoded it
    plain = http.request("GET", "/studies", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
