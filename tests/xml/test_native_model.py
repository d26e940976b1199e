"""The PS3.19 Native DICOM Model codec: XML read into the DICOM JSON model and written back."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dicomkit.core.dicomxml import json_to_native_model, native_model_to_json, native_models
from dicomkit.core.errors import DicomJSONError
from dicomkit.core.multipart import Part, encode_multipart

DATASET: dict[str, Any] = {
    "00080020": {"vr": "DA", "Value": ["20240102"]},
    "00100010": {"vr": "PN", "Value": [{"Alphabetic": "Doe^Jane"}]},
    "00100020": {"vr": "LO", "Value": ["PAT1"]},
    "00201208": {"vr": "IS", "Value": [3]},
    "00181050": {"vr": "DS", "Value": [0.5]},
    "00081110": {"vr": "SQ", "Value": [{"00081150": {"vr": "UI", "Value": ["1.2.3"]}}]},
    "7FE00010": {"vr": "OW", "BulkDataURI": "http://h/bulk/7FE00010"},
    "00283010": {"vr": "OB", "InlineBinary": "AAEC"},
    "00081030": {"vr": "LO"},
}


def test_round_trip_keeps_every_kind_of_value() -> None:
    assert native_model_to_json(json_to_native_model(DATASET)) == DATASET


def test_person_name_components_keep_their_places() -> None:
    xml = (
        b'<NativeDicomModel><DicomAttribute tag="00100010" vr="PN"><PersonName number="1">'
        b"<Alphabetic><GivenName>Jane</GivenName><FamilyName>Doe</FamilyName></Alphabetic>"
        b"<Ideographic><GivenName>J</GivenName></Ideographic>"
        b"</PersonName></DicomAttribute></NativeDicomModel>"
    )
    name = native_model_to_json(xml)["00100010"]["Value"][0]
    assert name == {"Alphabetic": "Doe^Jane", "Ideographic": "^J"}


def test_bulk_data_uri_in_either_spelling() -> None:
    """PS3.19 writes ``uri``; Orthanc 1.10 writes ``URI``: both are the BulkDataURI."""
    for name in ("uri", "URI"):
        xml = (
            f'<NativeDicomModel><DicomAttribute tag="7FE00010" vr="OW"><BulkData {name}="b/1"/>'
            "</DicomAttribute></NativeDicomModel>"
        )
        assert native_model_to_json(xml) == {"7FE00010": {"vr": "OW", "BulkDataURI": "b/1"}}


def test_multipart_answer_gives_one_object_per_part() -> None:
    parts = [Part(json_to_native_model(DATASET), {"Content-Type": "application/dicom+xml"})] * 2
    body = b"".join(encode_multipart(parts, "xmlb"))
    content_type = 'multipart/related; type="application/dicom+xml"; boundary=xmlb'
    assert native_models(content_type, body) == [DATASET, DATASET]
    assert native_models(content_type, b"--xmlb--\r\n") == []
    assert native_models("application/dicom+xml", json_to_native_model(DATASET)) == [DATASET]


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/dicom+xml", b"<NativeDicomModel>"),
        ("application/dicom+xml", b'<!DOCTYPE x [<!ENTITY a "b">]><NativeDicomModel/>'),
        ("application/dicom+xml", b"<Other/>"),
        ('multipart/related; type="application/dicom+xml"', b"--x--"),
        ('multipart/related; type="application/dicom+xml"; boundary=x', b"--x\r\n\r\n<a"),
    ],
)
def test_bad_xml_answers_are_dicom_json_errors(content_type: str, body: bytes) -> None:
    with pytest.raises(DicomJSONError):
        native_models(content_type, body)


_TEXT = st.text(
    st.characters(codec="ascii", exclude_characters="\\^\r\n", min_codepoint=32), max_size=12
)
_NAMES = st.lists(_TEXT.filter(lambda t: t.strip() == t), min_size=1, max_size=5).map(
    lambda parts: "^".join(parts).rstrip("^")
)
_LEAF = st.one_of(
    st.builds(
        lambda v: {"vr": "LO", "Value": v}, st.lists(_TEXT.filter(bool), min_size=1, max_size=3)
    ),
    st.builds(
        lambda v: {"vr": "US", "Value": v}, st.lists(st.integers(0, 65535), min_size=1, max_size=3)
    ),
    st.builds(lambda v: {"vr": "PN", "Value": [{"Alphabetic": v}]}, _NAMES),
    st.just({"vr": "UN"}),
)
_TAGS = st.text("0123456789ABCDEF", min_size=8, max_size=8)


def _datasets(leaf: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(_TAGS, leaf, max_size=4)


_ELEMENTS = st.recursive(
    _LEAF,
    lambda inner: st.builds(
        lambda items: {"vr": "SQ", "Value": items},
        st.lists(_datasets(inner), min_size=1, max_size=2),
    ),
    max_leaves=8,
)


@given(_datasets(_ELEMENTS))
def test_any_dataset_survives_the_round_trip(dataset: dict[str, Any]) -> None:
    assert native_model_to_json(json_to_native_model(dataset)) == dataset
