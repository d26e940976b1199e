"""DICOMweb URL and QIDO query building, checked against urllib's independent parser."""

from __future__ import annotations

import datetime
import re
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dicomkit.core.errors import InvalidArgumentError, InvalidUIDError
from dicomkit.core.urls import (
    QUERY_SAFE,
    DicomWebURLs,
    build_query,
    encode_query,
    frame_list,
    normalize_attribute,
    origin_of,
    percent_encode,
    without_userinfo,
)

STUDY, SERIES, INSTANCE = "1.2.3", "1.2.3.4", "1.2.3.4.5"
# What a query name or value may contain once encoded: unreserved, QUERY_SAFE, or %XX escapes.
ENCODED = re.compile(r"^(?:[A-Za-z0-9\-._~*?,^:@/!$'()]|%[0-9A-F]{2})*$")


def parse(url: str) -> tuple[str, str, list[str], list[tuple[str, str]]]:
    """(scheme, netloc, decoded path segments, decoded query pairs) of a built URL."""
    parts = urlsplit(url)
    assert parts.fragment == ""
    segments = [unquote(s) for s in parts.path.split("/")[1:]]
    return parts.scheme, parts.netloc, segments, parse_qsl(parts.query, keep_blank_values=True)


# -- paths ----------------------------------------------------------------------------------------


def test_plain_root() -> None:
    urls = DicomWebURLs("http://127.0.0.1:8042/dicom-web/")
    assert urls.root == "http://127.0.0.1:8042/dicom-web"
    assert urls.search("studies") == "http://127.0.0.1:8042/dicom-web/studies"
    assert repr(urls) == "DicomWebURLs('http://127.0.0.1:8042/dicom-web')"


def test_root_without_path() -> None:
    urls = DicomWebURLs("https://example.org")
    assert urls.retrieve(STUDY) == f"https://example.org/studies/{STUDY}"


def test_version_partition_and_path_in_the_base() -> None:
    for version in ("v1", "/v1", "v1/", " /v1/ "):
        urls = DicomWebURLs("https://h/x/dicom", api_version=version, partition="p1")
        assert urls.store() == "https://h/x/dicom/v1/partitions/p1/studies"
    assert DicomWebURLs("http://h", api_version=2).root == "http://h/v2"
    assert DicomWebURLs("http://h", api_version="").root == "http://h"
    assert (
        DicomWebURLs("http://h", api_version="v1.0-prerelease").root == "http://h/v1.0-prerelease"
    )


@pytest.mark.parametrize("version", ["v1/v2", 1.5, True, ".."])
def test_bad_api_versions(version: object) -> None:
    with pytest.raises(InvalidArgumentError):
        DicomWebURLs("http://h", api_version=version)  # type: ignore[arg-type]


def test_partition_names_are_percent_encoded() -> None:
    urls = DicomWebURLs("http://h", partition="a b/c?d")
    assert urls.root == "http://h/partitions/a%20b%2Fc%3Fd"
    for bad in ("", ".", ".."):
        with pytest.raises(InvalidArgumentError):
            DicomWebURLs("http://h", partition=bad)


def test_dcm4chee_style_base_and_service_prefixes() -> None:
    urls = DicomWebURLs(
        "http://h:8080/dcm4chee-arc/aets/DCM4CHEE/rs",
        qido_prefix="qido",
        wado_prefix="/wado/",
        stow_prefix="stow/rs",
    )
    assert urls.search("studies") == "http://h:8080/dcm4chee-arc/aets/DCM4CHEE/rs/qido/studies"
    assert urls.retrieve(STUDY).endswith(f"/rs/wado/studies/{STUDY}")
    assert urls.store(STUDY).endswith(f"/rs/stow/rs/studies/{STUDY}")
    assert urls.delete(STUDY).endswith(f"/rs/wado/studies/{STUDY}")
    assert DicomWebURLs("http://h", delete_prefix="del").delete(STUDY) == (
        f"http://h/del/studies/{STUDY}"
    )
    assert DicomWebURLs("http://h", qido_prefix="/").qido_root == "http://h"


@pytest.mark.parametrize("prefix", ["a//b", "./x", "x/..", 3])
def test_bad_prefixes(prefix: object) -> None:
    with pytest.raises(InvalidArgumentError):
        DicomWebURLs("http://h", qido_prefix=prefix)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "base",
    [
        "h/dicom-web",
        "ftp://h/x",
        "http://h/x?y=1",
        "http://h/x#y",
        "http://user:pw@h/x",
        "http:///x",
        "http://h:port/x",
        "http://[::1/x",
        "http://[::1]x/y",
        "http://h/a b",
        "http://h/a/../b",
        "http://h/é",
        "http://h:\u00b2/x",  # isdigit, yet not a number int() reads
        "http://h: 80/x",  # a number once stripped, but not a port a URL may carry
        "http://h:65536/x",
        pytest.param("http://h:" + "9" * 5000 + "/x", id="port-of-5000-digits"),
        pytest.param("http://" + "a" * 64 + ".example/x", id="dns-label-over-63"),
    ],
)
def test_bad_base_urls(base: str) -> None:
    with pytest.raises(InvalidArgumentError):
        DicomWebURLs(base)


def test_base_url_must_be_a_string() -> None:
    with pytest.raises(InvalidArgumentError):
        DicomWebURLs(b"http://h")  # type: ignore[arg-type]


def test_ipv6_base() -> None:
    urls = DicomWebURLs("http://[::1]:8042/dicom-web")
    assert urls.store() == "http://[::1]:8042/dicom-web/studies"


def test_search_levels() -> None:
    urls = DicomWebURLs("http://h")
    assert urls.search("series") == "http://h/series"
    assert urls.search("series", STUDY) == f"http://h/studies/{STUDY}/series"
    assert urls.search("instances") == "http://h/instances"
    assert urls.search("instances", STUDY) == f"http://h/studies/{STUDY}/instances"
    assert urls.search("instances", STUDY, SERIES) == (
        f"http://h/studies/{STUDY}/series/{SERIES}/instances"
    )
    assert urls.search("studies", query={"PatientID": "x"}) == "http://h/studies?PatientID=x"
    assert urls.search("studies", query=[("limit", "2")]) == "http://h/studies?limit=2"


@pytest.mark.parametrize(
    ("level", "study", "series"),
    [
        ("patients", None, None),
        ("studies", STUDY, None),
        ("series", STUDY, SERIES),
        ("instances", None, SERIES),
    ],
)
def test_bad_search_scopes(level: str, study: str | None, series: str | None) -> None:
    with pytest.raises(InvalidArgumentError):
        DicomWebURLs("http://h").search(level, study, series)  # type: ignore[arg-type]


def test_retrieve_resources() -> None:
    urls = DicomWebURLs("http://h")
    inst = f"http://h/studies/{STUDY}/series/{SERIES}/instances/{INSTANCE}"
    assert urls.retrieve(STUDY, SERIES, INSTANCE) == inst
    assert urls.retrieve(STUDY, resource="metadata") == f"http://h/studies/{STUDY}/metadata"
    assert urls.retrieve(STUDY, SERIES, resource="rendered").endswith(f"{SERIES}/rendered")
    assert urls.retrieve(STUDY, SERIES, INSTANCE, resource="thumbnail") == inst + "/thumbnail"
    assert urls.retrieve(STUDY, SERIES, INSTANCE, resource="bulkdata") == inst + "/bulkdata"
    assert urls.retrieve(STUDY, SERIES, INSTANCE, frames=[1, 3]) == inst + "/frames/1,3"
    assert urls.retrieve(STUDY, SERIES, INSTANCE, resource="frames", frames=2) == inst + "/frames/2"
    assert urls.retrieve(STUDY, SERIES, INSTANCE, resource="rendered", frames=(4,)) == (
        inst + "/frames/4/rendered"
    )
    assert urls.retrieve(STUDY, SERIES, INSTANCE, resource="thumbnail", frames=[1]) == (
        inst + "/frames/1/thumbnail"
    )


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        ((STUDY, SERIES, INSTANCE), {"resource": "pixels"}),
        ((STUDY, SERIES, INSTANCE), {"resource": "frames"}),
        ((STUDY, SERIES), {"frames": [1]}),
        ((STUDY, SERIES, INSTANCE), {"frames": []}),
        ((STUDY, SERIES, INSTANCE), {"frames": [0]}),
        ((STUDY, SERIES, INSTANCE), {"frames": [True]}),
        ((STUDY, SERIES, INSTANCE), {"frames": ["1"]}),
        ((STUDY, SERIES, INSTANCE), {"frames": [1], "resource": "metadata"}),
        ((None,), {}),
        ((STUDY, None, INSTANCE), {}),
    ],
)
def test_bad_retrieve_arguments(args: tuple[object, ...], kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidArgumentError):
        DicomWebURLs("http://h").retrieve(*args, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("uid", ["../..", "1.2/../3", "1.2?x", "1.2#x", "1 2", "1.2%2F3", ""])
def test_uids_are_validated_before_reaching_a_path(uid: str) -> None:
    urls = DicomWebURLs("http://h")
    for build in (
        lambda: urls.retrieve(uid),
        lambda: urls.retrieve(STUDY, uid),
        lambda: urls.retrieve(STUDY, SERIES, uid),
        lambda: urls.search("series", uid),
        lambda: urls.store(uid),
        lambda: urls.delete(STUDY, SERIES, uid),
    ):
        with pytest.raises(InvalidUIDError):
            build()


def test_delete_levels() -> None:
    urls = DicomWebURLs("http://h")
    assert urls.delete(STUDY, SERIES) == f"http://h/studies/{STUDY}/series/{SERIES}"
    with pytest.raises(InvalidArgumentError):
        urls.delete(None)  # type: ignore[arg-type]


# -- resolve --------------------------------------------------------------------------------------


def test_resolve_relative_and_absolute_references() -> None:
    urls = DicomWebURLs("http://H:80/dicom-web", wado_prefix="wado")
    assert urls.resolve("bulk/1?x=y") == "http://H:80/dicom-web/wado/bulk/1?x=y"
    assert urls.resolve("a/../b/./c#f?g") == "http://H:80/dicom-web/wado/b/c#f?g"
    assert urls.resolve("../../../../x") == "http://H:80/x"
    assert urls.resolve("a/.") == "http://H:80/dicom-web/wado/a/"
    assert urls.resolve("a/b/..") == "http://H:80/dicom-web/wado/a/"
    assert urls.resolve("/other/path") == "http://H:80/other/path"
    assert urls.resolve("//h/p") == "http://h/p"
    assert urls.resolve("http://h/abs") == "http://h/abs"
    assert urls.resolve("HTTP://h:80/abs") == "HTTP://h:80/abs"


@pytest.mark.parametrize(
    "uri",
    [
        "http://evil.example/x",
        "https://h/x",
        "http://h:8080/x",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "",
        "  ",
        "a b",
    ],
)
def test_resolve_refuses_other_origins_and_junk(uri: str) -> None:
    with pytest.raises(InvalidArgumentError):
        DicomWebURLs("http://h/dicom-web").resolve(uri)


def test_resolve_other_origin_when_allowed() -> None:
    urls = DicomWebURLs("http://h/dicom-web")
    assert urls.resolve("https://g/x", allow_other_origin=True) == "https://g/x"
    with pytest.raises(InvalidArgumentError):
        urls.resolve("ftp://g/x", allow_other_origin=True)


# -- queries --------------------------------------------------------------------------------------


def test_query_values_are_formatted_by_type() -> None:
    pairs = build_query(
        {
            "PatientID": "a&b=c#d e+f",
            "PatientName": "Doe*",
            "00200013": 5,
            "0008,0020": (datetime.date(2020, 1, 1), datetime.date(2020, 12, 31)),
            "StudyTime": (datetime.time(8, 30), None),
            "(0008,0031)": (None, datetime.time(9, 0, 0, 500)),
            "AcquisitionDateTime": datetime.datetime(2021, 2, 3, 4, 5, 6),
            "InstanceCreationDate": datetime.datetime(2021, 2, 3, 4, 5, 6),
            "InstanceCreationTime": datetime.datetime(2021, 2, 3, 4, 5, 6, 7),
            "ContentDate": datetime.date(2022, 1, 2),
            "ContentTime": datetime.time(1, 2, 3),
            "SliceThickness": 1.5,
            "StudyInstanceUID": [STUDY, SERIES],
            "Modality": {"MR", "CT"},
            "AccessionNumber": "",
            "ReferringPhysicianName": None,
            "ReferencedSeriesSequence.SeriesInstanceUID": SERIES,
        }
    )
    assert pairs == [
        ("PatientID", "a&b=c#d e+f"),
        ("PatientName", "Doe*"),
        ("00200013", "5"),
        ("00080020", "20200101-20201231"),
        ("StudyTime", "083000-"),
        ("00080031", "-090000.000500"),
        ("AcquisitionDateTime", "20210203040506"),
        ("InstanceCreationDate", "20210203"),
        ("InstanceCreationTime", "040506.000007"),
        ("ContentDate", "20220102"),
        ("ContentTime", "010203"),
        ("SliceThickness", "1.5"),
        ("StudyInstanceUID", f"{STUDY},{SERIES}"),
        ("Modality", "CT,MR"),
        ("ReferencedSeriesSequence.SeriesInstanceUID", SERIES),
        ("includefield", "AccessionNumber"),
    ]


def test_aware_datetimes_carry_their_offset() -> None:
    zone = datetime.timezone(datetime.timedelta(hours=-5))
    value = datetime.datetime(2021, 2, 3, 4, 5, 6, 120000, tzinfo=zone)
    assert build_query({"AcquisitionDateTime": value}) == [
        ("AcquisitionDateTime", "20210203040506.120000-0500")
    ]


def test_query_options() -> None:
    assert build_query(
        fuzzymatching=True, limit=10, offset=0, fields=["PatientAge", 0x00100040]
    ) == [
        ("includefield", "PatientAge"),
        ("includefield", "00100040"),
        ("fuzzymatching", "true"),
        ("limit", "10"),
        ("offset", "0"),
    ]
    assert build_query(fields=["PatientAge", "ALL"], fuzzymatching=False) == [
        ("includefield", "all"),
        ("fuzzymatching", "false"),
    ]
    assert build_query(fields="00100020") == [("includefield", "00100020")]
    assert build_query() == []


@pytest.mark.parametrize(
    ("filters", "kwargs"),
    [
        ({"NotAKeyword": "x"}, {}),
        ({"PatientID": True}, {}),
        ({"PatientID": b"x"}, {}),
        ({"PatientID": []}, {}),
        ({"PatientID": (None, None)}, {}),
        ({"PatientID": (1, 2, 3)}, {}),
        ({"PatientID": [None]}, {}),
        ({"StudyInstanceUID": "1.2.*"}, {}),
        ({"StudyInstanceUID": ["1.2", "x"]}, {}),
        ({"": "x"}, {}),
        ({-1: "x"}, {}),
        ({2**32: "x"}, {}),
        ({None: "x"}, {}),
        ({}, {"limit": -1}),
        ({}, {"offset": True}),
        ({}, {"limit": "10"}),
        ({}, {"fuzzymatching": "yes"}),
        ({}, {"fields": ["Bogus"]}),
    ],
)
def test_bad_queries(filters: dict[object, object], kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidArgumentError):
        build_query(filters, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("option", "argument"),
    [("limit", "limit="), ("IncludeField", "fields="), ("fuzzymatching", "fuzzymatching=")],
)
def test_query_options_in_the_filters_point_to_the_argument(option: str, argument: str) -> None:
    with pytest.raises(InvalidArgumentError, match=argument):
        build_query({option: "1"})


def test_pydicom_values_are_accepted() -> None:
    from pydicom.valuerep import DA, IS, PersonName

    pairs = build_query(
        {"PatientName": PersonName("Doe^J*"), "StudyDate": DA("20200102"), "InstanceNumber": IS(3)}
    )
    assert pairs == [("PatientName", "Doe^J*"), ("StudyDate", "20200102"), ("InstanceNumber", "3")]


def test_uid_attributes_accept_universal_matching() -> None:
    # PS3.18 8.3.4.3: universal matching is asked with includefield, not an empty value
    assert build_query({"SeriesInstanceUID": ""}) == [("includefield", "SeriesInstanceUID")]


def test_normalize_attribute_forms() -> None:
    assert normalize_attribute("PatientID") == "PatientID"
    assert normalize_attribute("0010,0020") == "00100020"
    assert normalize_attribute("(0010,0020)") == "00100020"
    assert normalize_attribute("0009abcd") == "0009ABCD"
    assert normalize_attribute(0x00100020) == "00100020"
    assert normalize_attribute("00081115.0020000e") == "00081115.0020000E"


def test_private_tag_values_are_formatted_without_a_known_vr() -> None:
    assert build_query({"00091001": datetime.date(2020, 1, 2)}) == [("00091001", "20200102")]
    assert build_query({"00091001": [1, 2]}) == [("00091001", "1,2")]


def test_encode_query_escapes_reserved_characters() -> None:
    query = encode_query([("PatientID", "a&b=c#d e+f;ü%")])
    assert query == "PatientID=a%26b%3Dc%23d%20e%2Bf%3B%C3%BC%25"
    assert parse_qsl(query) == [("PatientID", "a&b=c#d e+f;ü%")]


def test_encode_query_leaves_matching_syntax_and_encodes_what_rfc_3986_forbids() -> None:
    # Wildcards and the separator between values stay raw; ``^`` is encoded (RFC 3986), raw
    # only in a dialect that asks for it (Orthanc 1.10 compares values without decoding them).
    assert QUERY_SAFE == "*?:@/!$'()"
    pairs = build_query({"PatientName": "Doe^J*n?", "SOPInstanceUID": ["1.2", "1.3"]})
    assert encode_query(pairs) == "PatientName=Doe%5EJ*n?&SOPInstanceUID=1.2,1.3"
    assert encode_query(pairs, raw="^,") == "PatientName=Doe^J*n?&SOPInstanceUID=1.2,1.3"
    assert encode_query([]) == ""


def test_percent_encode_matches_urllib_and_rejects_lone_surrogates() -> None:
    text = "a b/c~d-e_f.g!*'()é\u4e2d"
    assert percent_encode(text) == quote(text, safe="~")
    assert percent_encode("a/b", safe="/") == "a/b"
    with pytest.raises(InvalidArgumentError):
        percent_encode("\ud800")


# -- properties -----------------------------------------------------------------------------------

uid_component = st.one_of(st.just("0"), st.from_regex(r"[1-9][0-9]{0,6}", fullmatch=True))
uids = st.lists(uid_component, min_size=1, max_size=8).map(".".join)
segment_text = st.text(st.characters(codec="utf-8"), min_size=1, max_size=12).filter(
    lambda s: s not in (".", "..") and "/" not in s
)
plain_segment = st.from_regex(r"[A-Za-z0-9_\-]{1,10}", fullmatch=True)
hosts = st.sampled_from(["127.0.0.1", "localhost", "example.org", "[::1]"])


@given(
    scheme=st.sampled_from(["http", "https"]),
    host=hosts,
    port=st.none() | st.integers(1, 65535),
    base_path=st.lists(plain_segment, max_size=3),
    trailing=st.booleans(),
    version=st.none() | st.sampled_from(["v1", "/v1", "v2/"]),
    partition=st.none() | segment_text,
    prefix=st.none() | st.lists(segment_text, min_size=1, max_size=2),
    study=uids,
    series=uids,
    instance=uids,
    frames=st.lists(st.integers(1, 10_000), min_size=1, max_size=4),
)
def test_every_built_url_parses_back_to_its_parts(
    scheme: str,
    host: str,
    port: int | None,
    base_path: list[str],
    trailing: bool,
    version: str | None,
    partition: str | None,
    prefix: list[str] | None,
    study: str,
    series: str,
    instance: str,
    frames: list[int],
) -> None:
    netloc = host if port is None else f"{host}:{port}"
    base = f"{scheme}://{netloc}" + "".join("/" + s for s in base_path) + ("/" if trailing else "")
    urls = DicomWebURLs(
        base,
        api_version=version,
        partition=partition,
        wado_prefix=None if prefix is None else "/".join(prefix),
    )
    root = list(base_path)
    if version:
        root.append(version.strip("/"))
    if partition is not None:
        root += ["partitions", partition]
    wado = root + (prefix or [])
    built = {
        urls.store(): [*root, "studies"],
        urls.search("instances", study, series): [
            *root,
            "studies",
            study,
            "series",
            series,
            "instances",
        ],
        urls.retrieve(study, series, instance, frames=frames): [
            *wado,
            "studies",
            study,
            "series",
            series,
            "instances",
            instance,
            "frames",
            ",".join(map(str, frames)),
        ],
        urls.retrieve(study, resource="metadata"): [*wado, "studies", study, "metadata"],
    }
    for url, segments in built.items():
        got_scheme, got_netloc, got_segments, query = parse(url)
        assert (got_scheme, got_netloc, got_segments, query) == (scheme, netloc, segments, [])
        path = urlsplit(url).path
        for raw in path.split("/")[1:]:
            assert re.fullmatch(r"(?:[A-Za-z0-9\-._~,]|%[0-9A-F]{2})+", raw), raw


query_values = st.text(st.characters(codec="utf-8"), max_size=30)


@given(st.lists(st.tuples(st.sampled_from(["PatientID", "PatientName", "00100020"]), query_values)))
def test_random_query_values_round_trip(pairs: list[tuple[str, str]]) -> None:
    query = encode_query(pairs)
    for piece in query.split("&") if query else []:
        name, _, value = piece.partition("=")
        assert ENCODED.match(name)
        assert ENCODED.match(value)
    assert parse_qsl(query, keep_blank_values=True) == pairs


@given(patient_id=query_values.filter(bool), limit=st.integers(1, 10**6), fuzzy=st.booleans())
def test_search_url_query_parses_back(patient_id: str, limit: int, fuzzy: bool) -> None:
    urls = DicomWebURLs("http://h/dicom-web")
    query = build_query({"PatientID": patient_id}, limit=limit, fuzzymatching=fuzzy)
    url = urls.search("studies", query=query)
    _, _, segments, pairs = parse(url)
    assert segments == ["dicom-web", "studies"]
    assert pairs == [
        ("PatientID", patient_id),
        ("fuzzymatching", "true" if fuzzy else "false"),
        ("limit", str(limit)),
    ]


@given(st.lists(uids, min_size=1, max_size=5))
def test_uid_lists_round_trip(values: list[str]) -> None:
    query = encode_query(build_query({"SOPInstanceUID": values}))
    assert parse_qsl(query) == [("SOPInstanceUID", ",".join(values))]


@pytest.mark.parametrize(
    "url",
    [
        "http://user:s3cr3t-pw@host/dicom-web?x=1",
        "ftp://user:s3cr3t-pw@host/dicom-web",
        "https://user:s3cr3t-pw@host/dicom-web#frag",
        "https://user:s3cr3t-pw@host/dicom-web",
        "user:s3cr3t-pw@host/dicom-web",
    ],
)
def test_a_refused_base_url_never_echoes_its_credentials(url: str) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        DicomWebURLs(url)
    assert "s3cr3t-pw" not in str(info.value)


# -- the shared URL helpers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://user:s3cr3t@host:8042/x?y=1", "http://host:8042/x?y=1"),
        ("https://u@h/a@b", "https://h/a@b"),  # an @ in the path is not userinfo
        ("http://u:p@h@evil/x", "http://evil/x"),  # what urllib calls the host
        ("user:s3cr3t@host/dicom-web", "user:host/dicom-web"),  # no // at all: still removed
        ("http://host/x", "http://host/x"),
    ],
)
def test_without_userinfo_removes_credentials(url: str, expected: str) -> None:
    assert without_userinfo(url) == expected
    assert "s3cr3t" not in without_userinfo(url)


@given(
    st.sampled_from(["http", "https"]),
    st.text(alphabet="abc:%-", min_size=1, max_size=12),
    st.sampled_from(["h", "pacs.example", "[::1]:8042", "h:1"]),
    st.sampled_from(["", "/", "/x?y=@"]),
)
def test_without_userinfo_keeps_what_urllib_calls_the_host(
    scheme: str, userinfo: str, hostport: str, rest: str
) -> None:
    url = f"{scheme}://{userinfo}@{hostport}{rest}"
    stripped = urlsplit(without_userinfo(url))
    assert stripped.netloc == urlsplit(url).netloc.rpartition("@")[2]
    assert stripped.username is None


def test_frame_list_is_the_one_frame_number_check() -> None:
    assert frame_list(3) == [3]
    assert frame_list(range(1, 4)) == [1, 2, 3]
    with pytest.raises(InvalidArgumentError, match="at least one frame number is needed"):
        frame_list([])
    with pytest.raises(InvalidArgumentError, match=r"frame numbers are integers >= 1, not 0"):
        frame_list([1, 0])


def test_resolve_compares_origins_as_redirects_do() -> None:
    urls = DicomWebURLs("http://pacs:80/dicom-web")
    assert origin_of(urls.base_url) == ("http", "pacs", 80)
    assert urls.resolve("http://PACS./x") == "http://PACS./x"  # the same host, spelled FQDN
    with pytest.raises(InvalidArgumentError):
        urls.resolve("http://pacs:8080/x")


@pytest.mark.parametrize("port", ["80\x0c", "80\x0b", "\xa080", "80\u3000", "80\x1f"])
def test_a_port_padded_with_non_http_whitespace_is_refused(port: str) -> None:
    with pytest.raises(InvalidArgumentError):
        DicomWebURLs(f"http://pacs.example:{port}/dicomweb")
