"""The Native DICOM Model codec's exact outputs and messages (issue 13.4): every VR read as a
number, tags that are ignored, attribute spellings, the refusals users read, and the exact
document written. The round trip is tested in tests/xml; these pin each step."""

from __future__ import annotations

from typing import Any

import pytest

from dicomkit.core.dicomxml import (
    json_to_native_model,
    looks_like_xml,
    native_model_to_json,
    native_models,
)
from dicomkit.core.errors import DicomJSONError
from dicomkit.core.multipart import Part, encode_multipart

NS = "http://dicom.nema.org/PS3.19/models/NativeDICOM"


def _doc(attributes: str, *, ns: bool = False) -> str:
    xmlns = f' xmlns="{NS}"' if ns else ""
    return f"<NativeDicomModel{xmlns}>{attributes}</NativeDicomModel>"


def _attr(tag: str, vr: str | None, inner: str) -> str:
    vr_attr = f' vr="{vr}"' if vr is not None else ""
    return f'<DicomAttribute tag="{tag}"{vr_attr}>{inner}</DicomAttribute>'


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"<a/>", True),
        ("<a/>", True),
        (b" \r\n\t<a/>", True),
        (b"\xef\xbb\xbf<a/>", True),
        (b" \xef\xbb\xbf <a/>", True),
        ("\ufeff<a/>", True),
        (b" " * 63 + b"<", True),
        (b" " * 64 + b"<", False),
        (" " * 63 + "<", True),
        (" " * 64 + "<", False),
        (b"{}", False),
        (b"", False),
        ("\ud800<a/>", False),  # a lone surrogate is replaced, not an error
        (b"x<a/>", False),
    ],
)
def test_looks_like_xml(body: bytes | str, expected: bool) -> None:
    assert looks_like_xml(body) is expected


@pytest.mark.parametrize("vr", ["US", "SS", "UL", "SL", "UV", "SV", "FL", "FD", "IS", "DS"])
def test_every_numeric_vr_is_read_as_a_number(vr: str) -> None:
    inner = '<Value number="1">12</Value><Value number="2">1.5</Value><Value number="3">x</Value>'
    got = native_model_to_json(_doc(_attr("00201208", vr, inner)))
    assert got == {"00201208": {"vr": vr, "Value": [12, 1.5, "x"]}}
    assert type(got["00201208"]["Value"][0]) is int


@pytest.mark.parametrize("vr", ["LO", "CS", "UI", "DA", "AT"])
def test_other_vrs_keep_the_text(vr: str) -> None:
    got = native_model_to_json(_doc(_attr("00100020", vr, '<Value number="1">12</Value>')))
    assert got == {"00100020": {"vr": vr, "Value": ["12"]}}


def test_an_empty_value_is_an_empty_string_for_any_vr() -> None:
    inner = '<Value number="1"/>'
    doc = _doc(_attr("00201208", "IS", inner) + _attr("00100020", "LO", inner))
    assert native_model_to_json(doc) == {
        "00201208": {"vr": "IS", "Value": [""]},
        "00100020": {"vr": "LO", "Value": [""]},
    }


def test_tags_that_are_not_eight_hex_digits_are_ignored_and_case_is_normalised() -> None:
    value = '<Value number="1">v</Value>'
    doc = _doc(
        _attr("0010002", "LO", value)
        + _attr("001000200", "LO", value)
        + _attr("0010002G", "LO", value)
        + '<DicomAttribute vr="LO">'
        + value
        + "</DicomAttribute>"
        + _attr("0008a110", "LO", value)
        + "<Other><Value>v</Value></Other>"
    )
    assert native_model_to_json(doc) == {"0008A110": {"vr": "LO", "Value": ["v"]}}


def test_a_missing_vr_is_un_and_no_value_means_no_value_key() -> None:
    doc = _doc(_attr("00100020", None, "") + _attr("00100021", "LO", "<Unknown/>"))
    assert native_model_to_json(doc) == {
        "00100020": {"vr": "UN"},
        "00100021": {"vr": "LO"},
    }


def test_namespaced_documents_read_the_same() -> None:
    inner = '<Value number="1">P</Value>'
    assert native_model_to_json(_doc(_attr("00100020", "LO", inner), ns=True)) == {
        "00100020": {"vr": "LO", "Value": ["P"]}
    }


def test_sequences_hold_items_read_as_data_sets() -> None:
    item = (
        '<Item number="1">' + _attr("00081150", "UI", '<Value number="1">1.2</Value>') + "</Item>"
    )
    doc = _doc(_attr("00081110", "SQ", item + '<Item number="2"/>'))
    assert native_model_to_json(doc) == {
        "00081110": {"vr": "SQ", "Value": [{"00081150": {"vr": "UI", "Value": ["1.2"]}}, {}]}
    }


def test_bulk_data_and_inline_binary() -> None:
    doc = _doc(
        _attr("7FE00010", "OW", '<BulkData uri="u/1"/><Value number="1">x</Value>')
        + _attr("7FE00011", "OW", '<BulkData URI="u/2"/>')
        + _attr("00283010", "OB", "<InlineBinary>\n  AAEC \n</InlineBinary>")
        + _attr("00283011", "OB", "<InlineBinary/>")
        + _attr("00283012", "OB", '<BulkData/><Value number="1">5</Value>')
        + _attr("0028301a", "OB", "<InlineBinary>AA</InlineBinary>")
    )
    assert native_model_to_json(doc) == {
        "7FE00010": {"vr": "OW", "BulkDataURI": "u/1"},
        "7FE00011": {"vr": "OW", "BulkDataURI": "u/2"},
        "00283010": {"vr": "OB", "InlineBinary": "AAEC"},
        "00283011": {"vr": "OB", "InlineBinary": ""},
        "00283012": {"vr": "OB", "Value": ["5"]},
        "0028301A": {"vr": "OB", "InlineBinary": "AA"},
    }


def test_person_names_every_component_in_its_place() -> None:
    name = (
        "<Note/>"
        "<Phonetic><NameSuffix>III</NameSuffix><NamePrefix>Dr</NamePrefix>"
        "<MiddleName>M</MiddleName><GivenName>G</GivenName><FamilyName>F</FamilyName>"
        "<Nickname>N</Nickname></Phonetic>"
        "<Alphabetic><FamilyName>DoeXX</FamilyName><GivenName/></Alphabetic>"
        "<Ideographic><MiddleName>m</MiddleName></Ideographic>"
    )
    doc = _doc(_attr("00100010", "PN", f'<PersonName number="1">{name}</PersonName>'))
    assert native_model_to_json(doc) == {
        "00100010": {
            "vr": "PN",
            "Value": [{"Phonetic": "F^G^M^Dr^III", "Alphabetic": "DoeXX", "Ideographic": "^^m"}],
        }
    }


def test_a_document_type_declaration_is_refused_anywhere() -> None:
    entity = '<!DOCTYPE NativeDicomModel [<!ENTITY a "AAAA">]>'
    body = _doc(_attr("00100020", "LO", '<Value number="1">&a;</Value>'))
    message = "an XML answer with a document type declaration is refused"
    for prolog in ("", "<!--" + "x" * 5000 + "-->"):
        for declaration in (entity, entity.lower().replace("nativedicommodel", "x")):
            with pytest.raises(DicomJSONError) as caught:
                native_model_to_json(f'<?xml version="1.0"?>{prolog}{declaration}{body}')
            assert str(caught.value) == message


def test_malformed_and_foreign_documents_messages() -> None:
    with pytest.raises(DicomJSONError) as caught:
        native_model_to_json(b"<NativeDicomModel>")
    assert str(caught.value).startswith("the XML answer is not well-formed: no element found")
    with pytest.raises(DicomJSONError) as caught:
        native_model_to_json(f'<html xmlns="{NS}"><NativeDicomModel/></html>')
    assert str(caught.value) == "the XML answer is not a NativeDicomModel but 'html'"


def test_native_models_single_document_and_defaults() -> None:
    doc = _doc(_attr("00100020", "LO", '<Value number="1">P</Value>')).encode()
    expected = [{"00100020": {"vr": "LO", "Value": ["P"]}}]
    assert native_models(None, doc) == expected
    assert native_models("", doc) == expected
    assert native_models("application/dicom+xml; charset=utf-8", doc) == expected
    assert native_models("application/dicom+xml", b" \r\n ") == []
    assert native_models(None, b"") == []


def test_native_models_multipart_and_its_messages() -> None:
    doc = _doc(_attr("00100020", "LO", '<Value number="1">P</Value>')).encode()
    body = b"".join(encode_multipart([Part(doc, {"Content-Type": "application/dicom+xml"})], "b1"))
    assert native_models("multipart/related; boundary=b1", body) == [
        {"00100020": {"vr": "LO", "Value": ["P"]}}
    ]
    with pytest.raises(DicomJSONError) as caught:
        native_models("multipart/related", body)
    assert str(caught.value) == "a multipart XML answer without a boundary"
    with pytest.raises(DicomJSONError) as caught:
        native_models('multipart/related; boundary=""', body)
    assert str(caught.value) == "a multipart XML answer without a boundary"
    with pytest.raises(DicomJSONError) as caught:
        native_models("multipart/related; boundary=b1", b"--b1\r\n\r\nno end")
    assert str(caught.value).startswith("malformed multipart XML answer: ")
    with pytest.raises(DicomJSONError) as caught:
        native_models("multipart/related; boundary=b1", b"--b1\r\n\r\n<x/>\r\n--b1--")
    assert str(caught.value) == "the XML answer is not a NativeDicomModel but 'x'"
    with pytest.raises(DicomJSONError) as caught:
        native_models("no slash", doc)
    assert str(caught.value).startswith("unreadable Content-Type of an XML answer: ")


WRITTEN: dict[str, Any] = {
    "00100010": {
        "vr": "PN",
        "Value": [{"Alphabetic": "Doe^^Mid", "Ideographic": None, "Phonetic": "P"}, "raw"],
    },
    "0008a110": {"vr": "SQ", "Value": [{"00100020": {"vr": "LO", "Value": ["X"]}}, None]},
    "00201208": {"Value": [3, None]},
    "7FE00010": {"vr": "OW", "BulkDataURI": "u/1"},
    "00283010": {"vr": "OB", "InlineBinary": "AAEC"},
}


def test_the_document_written_byte_for_byte() -> None:
    assert json_to_native_model(WRITTEN) == (
        b"<?xml version='1.0' encoding='utf-8'?>\n"
        b'<NativeDicomModel xmlns="http://dicom.nema.org/PS3.19/models/NativeDICOM">'
        b'<DicomAttribute tag="0008A110" vr="SQ"><Item number="1">'
        b'<DicomAttribute tag="00100020" vr="LO"><Value number="1">X</Value></DicomAttribute>'
        b'</Item><Item number="2" /></DicomAttribute>'
        b'<DicomAttribute tag="00100010" vr="PN"><PersonName number="1"><Alphabetic>'
        b"<FamilyName>Doe</FamilyName><MiddleName>Mid</MiddleName></Alphabetic>"
        b"<Phonetic><FamilyName>P</FamilyName></Phonetic></PersonName>"
        b'<Value number="2">raw</Value></DicomAttribute>'
        b'<DicomAttribute tag="00201208" vr="UN"><Value number="1">3</Value>'
        b'<Value number="2" /></DicomAttribute>'
        b'<DicomAttribute tag="00283010" vr="OB"><InlineBinary>AAEC</InlineBinary>'
        b"</DicomAttribute>"
        b'<DicomAttribute tag="7FE00010" vr="OW"><BulkData uri="u/1" /></DicomAttribute>'
        b"</NativeDicomModel>"
    )


def test_a_person_name_of_every_component_is_written_in_order() -> None:
    written = json_to_native_model(
        {"00100010": {"vr": "PN", "Value": [{"Alphabetic": "F^G^M^P^S^extra"}]}}
    )
    assert (
        b"<Alphabetic><FamilyName>F</FamilyName><GivenName>G</GivenName>"
        b"<MiddleName>M</MiddleName><NamePrefix>P</NamePrefix><NameSuffix>S</NameSuffix>"
        b"</Alphabetic>"
    ) in written
