"""Rendering parameters as PS3.18 8.3.5.1 defines them, exact pairs and messages (issue 13.4):
each parameter at its edges, thumbnails' smaller set, and lists as raw-comma value lists."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from dicomkit.core.errors import InvalidArgumentError, InvalidUIDError
from dicomkit.core.interface import Request
from dicomkit.core.operations.builder import (
    Operations,
    check_count,
    patient_filter,
    rendered_params,
)
from dicomkit.core.query import ValueList
from dicomkit.core.urls import DicomWebURLs

RENDER = "annotation, quality, viewport, window, iccprofile, charset"


@pytest.mark.parametrize(
    ("params", "accept", "expected"),
    [
        ({"quality": 1}, "image/jpeg", [("quality", "1")]),
        ({"quality": "100"}, "image/jp2", [("quality", "100")]),
        ({"quality": " 50 "}, "image/jph", [("quality", "50")]),
        ({"quality": 5}, "video/mp4", [("quality", "5")]),
        ({"viewport": "512,512"}, "image/png", [("viewport", ("512", "512"))]),
        (
            {"viewport": (1, 2, 0, 0.5, "", -3)},
            "image/png",
            [("viewport", ("1", "2", "0", "0.5", "", "-3"))],
        ),
        ({"window": "40,400,linear"}, "image/png", [("window", ("40", "400", "linear"))]),
        (
            {"window": ["-1.5", ".5", "LINEAR_EXACT"]},
            "image/png",
            [("window", ("-1.5", ".5", "LINEAR_EXACT"))],
        ),
        ({"window": "1e3,2E-1,SIGMOID"}, "image/png", [("window", ("1e3", "2E-1", "SIGMOID"))]),
        ({"annotation": "patient"}, "image/png", [("annotation", "patient")]),
        (
            {"annotation": "patient,technique"},
            "image/png",
            [("annotation", ("patient", "technique"))],
        ),
        ({"iccprofile": "srgb"}, "image/png", [("iccprofile", "srgb")]),
        ({"iccprofile": "rommrgb"}, "image/png", [("iccprofile", "rommrgb")]),
        ({"iccprofile": "no"}, "image/png", [("iccprofile", "no")]),
        ({"charset": "utf-8"}, "text/html", [("charset", "utf-8")]),
        (None, "image/png", []),
        ({}, "image/png", []),
    ],
)
def test_accepted(
    params: dict[str, object] | None, accept: str, expected: list[tuple[str, object]]
) -> None:
    got = rendered_params(params, accept)
    assert [
        (name, value.values if isinstance(value, ValueList) else value) for name, value in got
    ] == expected
    for (_, value), (_, want) in zip(got, expected, strict=True):
        assert isinstance(value, ValueList) is isinstance(want, tuple)


def test_order_is_kept() -> None:
    pairs = rendered_params({"window": "1,2,LINEAR", "annotation": "technique"}, "image/png")
    assert [name for name, _ in pairs] == ["window", "annotation"]


@pytest.mark.parametrize(
    ("params", "accept", "message"),
    [
        ({"quality": 0}, "image/jpeg", "quality is one integer 1-100, not 0"),
        ({"quality": 101}, "image/jpeg", "quality is one integer 1-100, not 101"),
        ({"quality": "50,60"}, "image/jpeg", "quality is one integer 1-100, not '50,60'"),
        ({"quality": "high"}, "image/jpeg", "quality takes integers, not 'high'"),
        ({"quality": "5.5"}, "image/jpeg", "quality takes integers, not '5.5'"),
        ({"quality": 50}, "image/png", "quality applies to lossy media types (JPEG, video)"),
        ({"viewport": "512"}, "image/png", "viewport is vw,vh or vw,vh,sx,sy,sw,sh, not '512'"),
        ({"viewport": "1,2,3"}, "image/png", "viewport is vw,vh or vw,vh,sx,sy,sw,sh, not '1,2,3'"),
        (
            {"viewport": "1,2,3,4,5,6,7"},
            "image/png",
            "viewport is vw,vh or vw,vh,sx,sy,sw,sh, not '1,2,3,4,5,6,7'",
        ),
        ({"viewport": "1.5,2"}, "image/png", "viewport takes integers, not '1.5'"),
        ({"viewport": "1,x"}, "image/png", "viewport takes integers, not 'x'"),
        ({"viewport": "1,2,3,4,5,x"}, "image/png", "viewport takes numbers, not 'x'"),
        (
            {"window": "40,400"},
            "image/png",
            "window is center,width,LINEAR|LINEAR_EXACT|SIGMOID, not '40,400'",
        ),
        (
            {"window": "40,400,CUBIC"},
            "image/png",
            "window is center,width,LINEAR|LINEAR_EXACT|SIGMOID, not '40,400,CUBIC'",
        ),
        (
            {"window": "40,400,LINEAR,x"},
            "image/png",
            "window is center,width,LINEAR|LINEAR_EXACT|SIGMOID, not '40,400,LINEAR,x'",
        ),
        ({"window": "x,400,LINEAR"}, "image/png", "window takes numbers, not 'x'"),
        ({"window": "40,1.,LINEAR"}, "image/png", None),
        ({"window": "40,e3,LINEAR"}, "image/png", "window takes numbers, not 'e3'"),
        (
            {"annotation": "patient,name"},
            "image/png",
            "annotation is patient and/or technique, not 'patient,name'",
        ),
        (
            {"iccprofile": "yes,no"},
            "image/png",
            "iccprofile is one of ('no', 'yes', 'srgb', 'adobergb', 'rommrgb'), not 'yes,no'",
        ),
        (
            {"iccprofile": "SRGB"},
            "image/png",
            "iccprofile is one of ('no', 'yes', 'srgb', 'adobergb', 'rommrgb'), not 'SRGB'",
        ),
        ({"size": 5}, "image/png", f"'size' is not a rendering parameter; PS3.18 defines {RENDER}"),
    ],
)
def test_refused(params: dict[str, object], accept: str, message: str | None) -> None:
    if message is None:
        assert rendered_params(params, accept)
        return
    with pytest.raises(InvalidArgumentError) as caught:
        rendered_params(params, accept)
    assert str(caught.value) == message


def test_thumbnails_take_viewport_and_charset_only() -> None:
    assert rendered_params({"viewport": "64,64", "charset": "utf-8"}, "image/png", thumbnail=True)[
        1
    ] == (
        "charset",
        "utf-8",
    )
    for name in ("quality", "window", "annotation", "iccprofile"):
        with pytest.raises(InvalidArgumentError) as caught:
            rendered_params({name: "1"}, "image/jpeg", thumbnail=True)
        assert str(caught.value) == (
            f"{name!r} is not a thumbnail parameter; PS3.18 defines viewport, charset"
        )


STRICT = Operations(DicomWebURLs("http://h/dw"))
LENIENT = Operations(DicomWebURLs("http://h/dw", permissive_uids=True))
U = "1.02"  # a leading zero: refused by the strict rule, kept by the permissive one

CALLS: list[tuple[str, Callable[[Operations], Request], str]] = [
    ("StudyInstanceUID", lambda o: o.search("series", study=U), "/studies/1.02/series"),
    (
        "SeriesInstanceUID",
        lambda o: o.search("instances", study="1.2", series=U),
        "/studies/1.2/series/1.02/instances",
    ),
    ("SeriesInstanceUID", lambda o: o.retrieve("1.2", U), "/studies/1.2/series/1.02"),
    ("StudyInstanceUID", lambda o: o.metadata(U), "/studies/1.02/metadata"),
    ("SeriesInstanceUID", lambda o: o.delete("1.2", U), "/studies/1.2/series/1.02"),
    (
        "SOPInstanceUID",
        lambda o: o.frames("1.2", "1.3", U, [1]),
        "/studies/1.2/series/1.3/instances/1.02/frames/1",
    ),
    (
        "SOPInstanceUID",
        lambda o: o.rendered("1.2", "1.3", U, frame_numbers=[2]),
        "/studies/1.2/series/1.3/instances/1.02/frames/2/rendered",
    ),
    ("StudyInstanceUID", lambda o: o.rendered(U), "/studies/1.02/rendered"),
]


@pytest.mark.parametrize(("what", "call", "path"), CALLS)
def test_uids_strict_and_permissive(
    what: str, call: Callable[[Operations], Request], path: str
) -> None:
    with pytest.raises(InvalidUIDError) as caught:
        call(STRICT)
    assert str(caught.value) == f"{what} '1.02' has a component with a leading zero"
    assert call(LENIENT).url == "http://h/dw" + path


def test_frames_keep_their_media_types() -> None:
    request = STRICT.frames("1.2", "1.3", "1.4", [1], media_types=["image/jpeg"])
    assert request.headers["Accept"].startswith("multipart/related; type=")
    assert "image/jpeg" in request.headers["Accept"]


def test_rendering_parameters_join_the_query() -> None:
    request = STRICT.rendered("1.2", params={"window": "1,2,LINEAR", "annotation": "patient"})
    assert request.url == "http://h/dw/studies/1.2/rendered?window=1,2,LINEAR&annotation=patient"
    with pytest.raises(InvalidArgumentError) as caught:
        STRICT.rendered("1.2", resource="thumb")  # type: ignore[arg-type]
    assert str(caught.value) == "resource must be 'rendered' or 'thumbnail', not 'thumb'"


def test_bulk_data_requests() -> None:
    uri = "http://h/dw/bulk/1"
    ranged = STRICT.bulkdata(uri, byte_range=(2, None), media_types=["application/octet-stream"])
    assert (ranged.method, ranged.url) == ("GET", uri)
    assert ranged.headers["Range"] == "bytes=2-"
    assert ranged.headers["Accept"] == 'multipart/related; type="application/octet-stream"'
    plain = STRICT.bulkdata(uri)
    assert "Range" not in plain.headers
    assert plain.headers["Accept"] == (
        'multipart/related; type="application/octet-stream"; transfer-syntax=*'
    )
    single = STRICT.bulkdata(uri, single_part=True)
    assert single.headers["Accept"] == "application/octet-stream; transfer-syntax=*"
    several = STRICT.bulkdata(
        uri, single_part=True, media_types=["image/jpeg", "application/octet-stream"]
    )
    assert several.headers["Accept"] == "image/jpeg, application/octet-stream"


@pytest.mark.parametrize("byte_range", [[1, 2], (1,), (1, 2, 3)])
def test_bulk_data_byte_range_shape(byte_range: object) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        STRICT.bulkdata("http://h/dw/bulk/1", byte_range=byte_range)  # type: ignore[arg-type]
    assert str(caught.value) == f"a byte range is (first, last), not {byte_range!r}"


def test_store_study_uid_strict_and_permissive() -> None:
    with pytest.raises(InvalidUIDError) as caught:
        STRICT.store(b"", "b", study=U)
    assert str(caught.value) == "StudyInstanceUID '1.02' has a component with a leading zero"
    assert LENIENT.store(b"", "b", study=U).url == "http://h/dw/studies/1.02"


def test_count_message_cuts_a_long_value() -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        check_count("limit", "x" * 100, minimum=1)
    assert str(caught.value) == "limit must be an integer >= 1, not '" + "x" * 79 + "..."


@pytest.mark.parametrize("patient_id", ["a*", "a?", "a\\b"])
def test_patient_ids_that_would_match_others(patient_id: str) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        patient_filter(patient_id)
    assert str(caught.value) == (
        "patient_id may not contain '*', '?' or '\\': QIDO-RS would match other patients"
    )
    assert patient_filter("X") == {"PatientID": "X"}


def test_viewport_source_values_are_numbers_from_the_third_on() -> None:
    pairs = rendered_params({"viewport": "1,2,0.5,3,4,5"}, "image/png")
    assert pairs[0][1] == "1,2,0.5,3,4,5"
    with pytest.raises(InvalidArgumentError) as caught:
        rendered_params({"viewport": "1,2,x,3,4,5"}, "image/png")
    assert str(caught.value) == "viewport takes numbers, not 'x'"


def test_capabilities_paths() -> None:
    assert STRICT.capabilities().url == "http://h/dw"
    assert STRICT.capabilities("studies/X").url == "http://h/dw/studies/X"
    with pytest.raises(InvalidArgumentError) as caught:
        STRICT.capabilities("a b")
    assert str(caught.value) == "capabilities path 'a b' is not a path below the root"
