"""PS3.18 to the letter, in the core: each gap of issue 18 as the exact request line and headers
the core builds, and what it makes of the answer (no transport, a fake server)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dicomkit.core.errors import InvalidArgumentError, ProtocolError
from dicomkit.core.interface import Request
from dicomkit.core.operations import (
    ORTHANC,
    STANDARD,
    Dialect,
    Exchanges,
    Operations,
    SearchResult,
    SearchTruncatedError,
    SearchTruncatedWarning,
    Step,
    additional_results,
    parse_warnings,
    reasons_from_body,
)
from dicomkit.core.query import ValueList, build_query, encode_query
from dicomkit.core.urls import DicomWebURLs

ROOT = "https://pacs.test/dicom-web"
STUDY, SERIES, INSTANCE = "1.2.3", "1.2.3.4", "1.2.3.4.5"
CUT = '299 pacs.test: "There are {n} additional results that can be requested"'


def exchanges(dialect: Dialect = STANDARD) -> Exchanges:
    return Exchanges(Operations(DicomWebURLs(ROOT)), dialect)


def target(request: Request) -> str:
    """The request line's target, as a transport sends it."""
    parts = urlsplit(request.url)
    return parts.path + ("?" + parts.query if parts.query else "")


def study(n: int) -> dict[str, Any]:
    return {"0020000D": {"vr": "UI", "Value": [f"1.2.{n}"]}}


def drive(exchange: Any, pages: list[tuple[list[dict[str, Any]], str | None]]) -> list[str]:
    """Answer each request with the next page (and its Warning); the targets asked for."""
    asked = []
    for items, warning in pages:
        asked.append(target(exchange.request))
        headers = [("Content-Type", "application/dicom+json")]
        if warning:
            headers.append(("Warning", warning))
        assert exchange.start(200, headers) is Step.READ
        exchange.feed(json.dumps(items).encode())
        exchange.close()
        if exchange.done:
            break
    assert exchange.done
    return asked


# -- 1. truncated searches -----------------------------------------------------------------------


def test_a_truncated_search_is_followed_with_offset_until_complete() -> None:
    exchange = exchanges().search("studies", search_filters={"PatientID": "P"})
    asked = drive(
        exchange,
        [
            ([study(1), study(2)], CUT.format(n=3)),
            ([study(3), study(4)], CUT.format(n=1)),
            ([study(5)], None),
        ],
    )
    assert asked == [
        "/dicom-web/studies?PatientID=P",
        "/dicom-web/studies?PatientID=P&offset=2",
        "/dicom-web/studies?PatientID=P&offset=4",
    ]
    result = exchange.result()
    assert isinstance(result, SearchResult)
    assert [item["0020000D"]["Value"][0] for item in result] == [f"1.2.{n}" for n in range(1, 6)]
    assert (result.truncated, result.remaining, result.pages) == (False, None, 3)
    assert result.warnings == [
        "There are 3 additional results that can be requested",
        "There are 1 additional results that can be requested",
    ]


def test_a_limit_is_filled_across_truncated_pages_and_no_further() -> None:
    exchange = exchanges().search("studies", limit=3, offset=10)
    asked = drive(
        exchange, [([study(1), study(2)], CUT.format(n=9)), ([study(3)], CUT.format(n=8))]
    )
    assert asked == ["/dicom-web/studies?limit=3&offset=10", "/dicom-web/studies?limit=1&offset=12"]
    assert (len(exchange.result()), exchange.result().truncated) == (3, False)


@pytest.mark.parametrize("policy", ["return", "raise", "warn"])
def test_a_truncated_search_is_never_returned_as_complete(policy: str) -> None:
    exchange = exchanges().search("studies", on_truncated=policy)
    assert drive(exchange, [([study(1)], CUT.format(n=41))]) == ["/dicom-web/studies"]
    if policy == "raise":
        with pytest.raises(SearchTruncatedError, match="41 were left out") as raised:
            exchange.result()
        result = raised.value.result
    elif policy == "warn":
        with pytest.warns(SearchTruncatedWarning):
            result = exchange.result()
    else:
        result = exchange.result()
    assert (len(result), result.truncated, result.remaining) == (1, True, 41)


def test_a_server_ignoring_offset_ends_the_following_but_stays_truncated() -> None:
    exchange = exchanges().search("studies")
    same = ([study(1), study(2)], CUT.format(n=5))
    assert len(drive(exchange, [same, same, same])) == 2
    assert (len(exchange.result()), exchange.result().truncated) == (2, True)


def test_other_warnings_are_kept_but_do_not_truncate() -> None:
    exchange = exchanges().search("studies", fuzzymatching=True)
    note = '299 pacs: "The fuzzymatching parameter is not supported."'
    assert len(drive(exchange, [([study(1)], note)])) == 1
    result = exchange.result()
    assert (result.truncated, result.warnings) == (False, [note.split('"')[1]])


def test_paged_methods_refuse_on_truncated_as_python_would() -> None:
    with pytest.raises(TypeError, match=r"iter_search_for_series.*on_truncated"):
        exchanges().search("series", paged=True, on_truncated="raise")
    with pytest.raises(InvalidArgumentError):
        exchanges().search("series", on_truncated="sometimes")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (CUT.format(n=12), (True, 12)),
        ('299 {+service}: "There are 7 additional results that can be requested"', (True, 7)),
        ("299 Microsoft.Health.Dicom: The number of results exceeded the maximum", (True, None)),
        ('299 - "results truncated", 299 - "fuzzy matching not supported"', (True, None)),
        ('299 pacs "fuzzy matching not supported"', (False, None)),
        ('110 cache "Response is Stale" "Sun, 06 Nov 1994 08:49:37 GMT"', (False, None)),
        ("", (False, None)),
    ],
)
def test_one_warning_parser_reads_what_servers_send(
    header: str, expected: tuple[bool, int | None]
) -> None:
    assert additional_results(parse_warnings({"Warning": header})) == expected


def test_the_warning_parser_splits_values_and_unescapes_quotes() -> None:
    values = parse_warnings(
        [("Warning", r'299 a "one, \"quoted\"" "Sun, 06 Nov 1994 08:49:37 GMT", 299 b "two"')]
    )
    assert [(v.code, v.agent, v.text) for v in values] == [
        (299, "a", 'one, "quoted"'),
        (299, "b", "two"),
    ]
    assert reasons_from_body(b"", {"Warning": '299 x: "coerced"'}) == ["coerced"]


@given(st.text(max_size=60))
def test_the_warning_parser_takes_any_header(header: str) -> None:
    for value in parse_warnings({"Warning": header.replace("\r", "").replace("\n", "")}):
        assert isinstance(value.text, str)


# -- 2. values, lists, universal matching, duplicates, newer and vendor parameters -------------


def test_commas_inside_values_are_encoded_and_only_the_list_separator_is_raw() -> None:
    request = (
        exchanges()
        .search(
            "studies",
            search_filters={
                "StudyDescription": "CT, Chest",
                "ModalitiesInStudy": "CT,MR",
                "PatientName": ["Doe, J*", "Roe^R"],
            },
        )
        .request
    )
    assert target(request) == (
        "/dicom-web/studies?StudyDescription=CT%2C%20Chest&ModalitiesInStudy=CT,MR"
        "&PatientName=Doe%2C%20J*,Roe%5ER"
    )
    assert request.method == "GET"
    assert request.headers["Accept"] == "application/dicom+json"


def test_universal_matching_is_sent_as_includefield() -> None:
    request = (
        exchanges()
        .search(
            "series", STUDY, search_filters={"Modality": "", "SeriesNumber": 3}, fields=["Modality"]
        )
        .request
    )
    assert target(request) == (
        f"/dicom-web/studies/{STUDY}/series?SeriesNumber=3&includefield=Modality"
    )


def test_one_attribute_given_twice_is_merged_or_refused() -> None:
    merged = exchanges().search("studies", search_filters={"PatientID": "A", "00100020": "A"})
    assert target(merged.request) == "/dicom-web/studies?PatientID=A"
    with pytest.raises(InvalidArgumentError, match="same attribute"):
        exchanges().search("studies", search_filters={"PatientID": "A", 0x00100020: "B"})
    fields = build_query(fields=["PatientID", "00100020", 0x00100020])
    assert fields == [("includefield", "PatientID")]


def test_newer_and_vendor_parameters_are_reachable() -> None:
    request = (
        exchanges()
        .search(
            "instances",
            emptyvaluematching=True,
            multiplevaluematching=False,
            extra_params=[("includedefaults", False), ("orderby", ["-StudyDate", "PatientName"])],
        )
        .request
    )
    assert target(request) == (
        "/dicom-web/instances?emptyvaluematching=true&multiplevaluematching=false"
        "&includedefaults=false&orderby=-StudyDate,PatientName"
    )
    for bad in ({"limit": 3}, {"": 1}, {"x": None}, {"x": []}):
        with pytest.raises(InvalidArgumentError):
            build_query(extra_params=bad)
    with pytest.raises(InvalidArgumentError, match="extra_params"):
        build_query({"orderby": "x"})


@pytest.mark.parametrize(
    ("attribute", "value", "sent"),
    [
        ("StudyDate", "2004-01-19", "20040119"),
        ("StudyDate", "20040119", "20040119"),
        ("StudyDate", "2004-01-01/2004-01-31", "20040101-20040131"),
        ("StudyDate", "2004-01-01-2004-01-31", "20040101-20040131"),
        ("StudyDate", "-20040131", "-20040131"),
        ("StudyDate", ["2004-01-19", "20040120"], "20040119,20040120"),
        ("StudyTime", "10:20:30", "102030"),
        ("StudyTime", "0800-0900", "0800-0900"),
        ("StudyTime", "08:00/09:30", "080000-093000"),
        ("AcquisitionDateTime", "2004-01-19T10:20:30+01:00", "20040119102030+0100"),
        ("AcquisitionDateTime", "20040119102030-0500", "20040119102030-0500"),
        ("AcquisitionDateTime", "2004-2005", "2004-2005"),
    ],
)
def test_dates_and_times_from_iso_or_dicom_text(attribute: str, value: Any, sent: str) -> None:
    assert build_query({attribute: value}) == [(attribute, sent)]


@pytest.mark.parametrize(
    ("attribute", "value"),
    [
        ("StudyDate", "19/01/2004"),
        ("StudyDate", "2004-13-40"),
        ("StudyDate", 20040119),
        ("StudyDate", "-"),
        ("StudyDate", "2004*"),
        ("StudyTime", "noon"),
        ("StudyTime", 1.5),
        ("AcquisitionDateTime", "yesterday"),
    ],
)
def test_other_date_and_time_values_are_refused(attribute: str, value: Any) -> None:
    with pytest.raises(InvalidArgumentError):
        build_query({attribute: value})


@pytest.mark.parametrize("limit", [0, -1])
def test_limit_must_be_positive(limit: int) -> None:
    with pytest.raises(InvalidArgumentError, match="limit"):
        exchanges().search("studies", limit=limit)


@given(st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=4))
def test_value_lists_round_trip_through_raw_commas(values: list[str]) -> None:
    encoded = encode_query([("StudyDescription", ValueList(values))])
    pieces = encoded.split("=", 1)[1].split(",")
    assert len(pieces) == len(values)
    assert [parse_qsl("x=" + piece, keep_blank_values=True)[0][1] for piece in pieces] == values


# -- 3. the ^ dialect ----------------------------------------------------------------------------


def test_the_standard_dialect_encodes_the_caret_and_orthancs_keeps_it() -> None:
    filters = {"PatientName": "Doe^J*", "StudyDescription": "a,b"}
    standard = exchanges().search("studies", search_filters=filters).request
    assert target(standard) == "/dicom-web/studies?PatientName=Doe%5EJ*&StudyDescription=a%2Cb"
    orthanc = exchanges(ORTHANC).search("studies", search_filters=filters).request
    assert target(orthanc) == "/dicom-web/studies?PatientName=Doe^J*&StudyDescription=a,b"
    with pytest.raises(InvalidArgumentError):
        Dialect(query_raw="&")


# -- 5. bulk data ranges and other origins -------------------------------------------------------


def test_a_single_part_range_request_and_its_content_range() -> None:
    exchange = exchanges().bulkdata(f"{ROOT}/bulk/1", (2, 5), single_part=True)
    assert exchange.request.headers["Range"] == "bytes=2-5"
    assert exchange.request.headers["Accept"] == "application/octet-stream; transfer-syntax=*"
    exchange.start(
        206, {"Content-Type": "application/octet-stream", "Content-Range": "bytes 2-5/10"}
    )
    exchange.feed(b"2345")
    exchange.close()
    assert exchange.result() == [b"2345"]


@pytest.mark.parametrize(
    "content_range", [None, "bytes 0-3/10", "bytes 2-9/10", "bytes */10", "pages 2-5/10"]
)
def test_a_206_with_a_missing_or_wrong_content_range_is_refused(content_range: str | None) -> None:
    exchange = exchanges().bulkdata(f"{ROOT}/bulk/1", (2, 5), single_part=True)
    headers = {"Content-Type": "application/octet-stream"}
    if content_range:
        headers["Content-Range"] = content_range
    exchange.start(206, headers)
    exchange.feed(b"2345")
    exchange.close()
    with pytest.raises(ProtocolError):
        exchange.result()


def test_bulk_data_uris_on_another_origin_follow_the_dialect() -> None:
    internal = "http://10.0.0.7:8080/dicom-web/studies/1.2/bulk/7fe00010?x=1"
    with pytest.raises(InvalidArgumentError, match="rewrite"):
        exchanges().bulkdata(internal)
    rewriting = exchanges(Dialect(other_origin="rewrite"))
    assert (
        rewriting.bulkdata(internal).request.url
        == f"{ROOT[:17]}/dicom-web/studies/1.2/bulk/7fe00010?x=1"
    )
    assert exchanges().bulkdata(internal, other_origin="allow").request.url == internal
    with pytest.raises(InvalidArgumentError):
        Dialect(other_origin="sometimes")


# -- smaller: thumbnails and rendered parameters -------------------------------------------------


def test_thumbnails_are_one_image_at_every_level() -> None:
    for uids, path in [
        ((STUDY,), f"/studies/{STUDY}/thumbnail"),
        (
            (STUDY, SERIES, INSTANCE),
            f"/studies/{STUDY}/series/{SERIES}/instances/{INSTANCE}/thumbnail",
        ),
    ]:
        request = exchanges().thumbnail(*uids, params={"viewport": "64,64"}).request
        assert target(request) == f"/dicom-web{path}?viewport=64,64"
        assert request.headers["Accept"] == "image/jpeg"
    frames = exchanges().thumbnail(STUDY, SERIES, INSTANCE, [2], media_types=["image/png"])
    assert target(frames.request).endswith("/frames/2/thumbnail")
    assert frames.request.headers["Accept"] == "image/png"


@pytest.mark.parametrize(
    ("params", "media_types"),
    [
        ({"quality": 0}, None),
        ({"quality": 101}, None),
        ({"quality": 50}, ["image/png"]),
        ({"viewport": "64"}, None),
        ({"window": "40,400"}, None),
        ({"window": "40,400,CUBIC"}, None),
        ({"annotation": "everything"}, None),
        ({"iccprofile": "cmyk"}, None),
        ({"brightness": 3}, None),
        ({}, ["application/dicom"]),
        ({}, [("image/jpeg", "1.2.840.10008.1.2.4.50")]),
    ],
)
def test_rendered_parameters_and_accept_are_checked(
    params: dict[str, Any], media_types: list[Any] | None
) -> None:
    with pytest.raises(InvalidArgumentError):
        exchanges().rendered_image(STUDY, SERIES, INSTANCE, params=params, media_types=media_types)


def test_good_rendered_parameters_are_sent_with_raw_list_commas() -> None:
    request = (
        exchanges()
        .rendered_image(
            STUDY,
            SERIES,
            INSTANCE,
            params={"window": (40, 400, "LINEAR"), "viewport": "512,512", "annotation": "patient"},
        )
        .request
    )
    assert target(request).endswith(
        "/rendered?window=40,400,LINEAR&viewport=512,512&annotation=patient"
    )
    with pytest.raises(InvalidArgumentError):
        exchanges().thumbnail(STUDY, params={"quality": 90})


# -- 4. STOW-RS: what goes on the wire, and what comes back --------------------------------------


def _part10(syntax: str) -> bytes:
    from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian

    from dicomkit.testing.data import dataset_bytes, make_instance

    if syntax == "big":
        data = dataset_bytes(make_instance())
        return data.replace(b"1.2.840.10008.1.2.1\x00", b"1.2.840.10008.1.2.2\x00", 1)
    chosen = ImplicitVRLittleEndian if syntax == "implicit" else ExplicitVRLittleEndian
    return dataset_bytes(make_instance(transfer_syntax=chosen))


def test_implicit_vr_is_re_encoded_and_big_endian_refused_before_the_wire() -> None:
    from dicomkit.core import stow

    explicit = stow.StowItem(_part10("explicit"), label="e")
    assert stow.wire_ready(explicit) is explicit
    implicit = stow.wire_ready(stow.StowItem(_part10("implicit"), label="i"))
    assert stow.part10_transfer_syntax(implicit.source) == "1.2.840.10008.1.2.1"  # type: ignore[arg-type]
    assert implicit.length == len(implicit.source)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match=r"Big Endian.*8\.7\.3"):
        stow.wire_ready(stow.StowItem(_part10("big"), label="b.dcm"))
    assert stow.part10_transfer_syntax(b"not dicom") is None


def _store_answer(status: int, body: bytes, headers: dict[str, str]) -> Any:
    from dicomkit.core import stow

    exchange = stow.store_exchange(Operations(DicomWebURLs(ROOT)), [stow.StowItem(b"x")])
    assert exchange.request.headers["Accept"] == "application/dicom+json"
    exchange.start(status, headers)
    exchange.feed(body)
    exchange.close()
    return exchange.result()


XML_STORED = (
    b'<?xml version="1.0"?><NativeDicomModel xmlns="http://dicom.nema.org/PS3.19/models/NativeDICOM">'
    b'<DicomAttribute tag="00081199" vr="SQ"><Item number="1">'
    b'<DicomAttribute tag="00081155" vr="UI"><Value number="1">1.2.3</Value></DicomAttribute>'
    b'<DicomAttribute tag="00081196" vr="US"><Value number="1">45056</Value></DicomAttribute>'
    b"</Item></DicomAttribute></NativeDicomModel>"
)
XML_CONFLICT = (
    b'<NativeDicomModel><DicomAttribute tag="00081198" vr="SQ"><Item number="1">'
    b'<DicomAttribute tag="00081155" vr="UI"><Value number="1">1.2.4</Value></DicomAttribute>'
    b'<DicomAttribute tag="00081197" vr="US"><Value number="1">272</Value></DicomAttribute>'
    b"</Item></DicomAttribute></NativeDicomModel>"
)


def test_a_200_in_xml_with_warnings_is_a_result_with_every_warning() -> None:
    result = _store_answer(
        200,
        XML_STORED,
        {"Content-Type": "application/dicom+xml", "Warning": '299 pacs: "Coerced PatientName"'},
    )
    assert [s.sop_instance_uid for s in result.stored] == ["1.2.3"]
    assert result.stored[0].warning_reason == 0xB000
    assert result.ok
    assert result.warnings == ["1.2.3: Coercion of data elements", "Coerced PatientName"]


def test_a_409_in_xml_names_the_instance() -> None:
    from dicomkit.core.errors import StoreError

    with pytest.raises(StoreError) as raised:
        _store_answer(409, XML_CONFLICT, {"Content-Type": "application/dicom+xml"})
    assert [(f.sop_instance_uid, f.reason_code) for f in raised.value.result.failed] == [
        ("1.2.4", 272)
    ]


@pytest.mark.parametrize(
    "body", [b"<!DOCTYPE x [<!ENTITY a 'b'>]><NativeDicomModel/>", b"<NativeDicomModel>", b"<x/>"]
)
def test_a_2xx_answer_that_cannot_be_read_is_a_warning_not_a_lost_outcome(body: bytes) -> None:
    result = _store_answer(200, body, {"Content-Type": "application/dicom+xml"})
    assert result.ok
    assert "could not be read" in result.warnings[0]


def test_duplicates_are_decided_in_one_place() -> None:
    from dicomkit.core import stow
    from dicomkit.core.dicomjson import FailedInstance, StoreResult
    from dicomkit.core.errors import StoreError

    def refused() -> StoreError:
        failed = FailedInstance("1.2", "1.2.3", 45070, "SOP Instance already exists")
        result = StoreResult(failed=[failed], status=409)
        return StoreError("refused", result, status=409)

    present = stow.StoreTally([[stow.StowItem(b"x")]], None, duplicates="present")
    present.settle(1, refused())
    outcome = present.outcome()
    assert (outcome.failed, len(outcome.already_present), outcome.ok) == ([], 1, True)
    error = stow.StoreTally([[stow.StowItem(b"x")]], None)
    error.settle(1, refused())
    with pytest.raises(StoreError):
        error.outcome()
    with pytest.raises(InvalidArgumentError):
        stow.StoreTally([], None, duplicates="skip")


# -- smaller: Specific Character Set in the DICOM JSON dicomkit builds --------------------------


def test_json_with_non_latin_text_says_it_is_unicode() -> None:
    from pydicom import Dataset

    from dicomkit.core.dicomjson import dataset_from_json, dataset_to_json

    ds = Dataset()
    ds.SpecificCharacterSet = "ISO 2022 IR 87"
    ds.PatientName = "Yamada^Tarou=山田^太郎"
    assert dataset_to_json(ds)["00080005"] == {"vr": "CS", "Value": ["ISO_IR 192"]}
    plain = Dataset()
    plain.PatientID = "ascii"
    assert "00080005" not in dataset_to_json(plain)
    mislabelled = {
        "00080005": {"vr": "CS", "Value": ["ISO_IR 100"]},
        "00100010": {
            "vr": "PN",
            "Value": [{"Alphabetic": "Wang^XiaoDong", "Ideographic": "王^小東"}],
        },
    }
    back = dataset_from_json(mislabelled)
    assert back.SpecificCharacterSet == "ISO_IR 192"
    assert str(back.PatientName) == "Wang^XiaoDong=王^小東"


@pytest.mark.parametrize(
    "text",
    [
        "The value of PatientComments exceeds the maximum length and was truncated",
        "Truncated PatientName to 64 characters",
        "The fuzzymatching parameter is not supported. Only literal matching has been performed.",
    ],
)
def test_warnings_about_values_are_not_truncated_searches(text: str) -> None:
    assert additional_results(parse_warnings({"Warning": f'299 pacs "{text}"'})) == (False, None)


def test_a_silent_cap_is_followed_in_the_azure_dialect() -> None:
    from dicomkit.core.operations import AZURE, resolve_dialect

    assert resolve_dialect("azure") is AZURE
    full = [study(n) for n in range(100)]
    exchange = exchanges(AZURE).search("studies")
    asked = drive(exchange, [(full, None), ([study(100)], None)])
    assert asked == ["/dicom-web/studies", "/dicom-web/studies?offset=100"]
    assert (len(exchange.result()), exchange.result().truncated) == (101, False)
    standard = exchanges().search("studies")
    assert len(drive(standard, [(full, None)])) == 1  # the standard trusts a page with no Warning
    limited = exchanges(AZURE).search("studies", limit=100)
    assert len(drive(limited, [(full, None)])) == 1  # a limit asked is a limit answered
    with pytest.raises(InvalidArgumentError):
        Dialect(silent_page_size=0)
