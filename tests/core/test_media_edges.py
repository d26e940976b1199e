"""Accept values in the core at their edges: default part types per transfer syntax, q-values
as written, video and image parts for frames and bulk data, and the messages of refusals."""

from __future__ import annotations

import pytest

from dicomkit.core.errors import InvalidArgumentError
from dicomkit.core.media import accept_header

JPEG = "1.2.840.10008.1.2.4.50"
EXPLICIT = "1.2.840.10008.1.2.1"


@pytest.mark.parametrize(
    ("resource", "syntax", "accept"),
    [
        ("frames", JPEG, f'multipart/related; type="image/jpeg"; transfer-syntax={JPEG}'),
        ("bulkdata", JPEG, f'multipart/related; type="image/jpeg"; transfer-syntax={JPEG}'),
        ("instances", JPEG, f'multipart/related; type="application/dicom"; transfer-syntax={JPEG}'),
        (
            "frames",
            EXPLICIT,
            f'multipart/related; type="application/octet-stream"; transfer-syntax={EXPLICIT}',
        ),
        ("frames", "*", 'multipart/related; type="application/octet-stream"; transfer-syntax=*'),
        ("rendered", None, "image/jpeg"),
        ("thumbnail", None, "image/jpeg"),
        ("metadata", None, "application/dicom+json"),
    ],
)
def test_defaults(resource, syntax, accept):
    assert accept_header(resource, transfer_syntax=syntax) == accept


@pytest.mark.parametrize(
    ("quality", "written"),
    [(0.1234, "0.123"), (0.5, "0.5"), (1, "1"), (0, "0"), (0.0004, "0"), (0.25, "0.25")],
)
def test_q_values(quality, written):
    assert accept_header("rendered", [("image/png", None, quality)]) == f"image/png; q={written}"


@pytest.mark.parametrize("resource", ["frames", "bulkdata"])
@pytest.mark.parametrize("media_type", ["video/mpeg", "image/jp2", "application/octet-stream"])
def test_frames_and_bulk_data_take_images_and_video(resource, media_type):
    assert accept_header(resource, [media_type]) == f'multipart/related; type="{media_type}"'


@pytest.mark.parametrize(
    ("resource", "media_types", "syntax", "message"),
    [
        (
            "frames",
            ["application/dicom"],
            None,
            "'application/dicom' cannot be requested for frames",
        ),
        ("bulkdata", ["text/plain"], None, "'text/plain' cannot be requested for bulkdata"),
        ("instances", ["image/jpeg"], None, "'image/jpeg' cannot be requested for instances"),
        (
            "metadata",
            ["application/dicom"],
            None,
            "'application/dicom' cannot be requested for metadata",
        ),
        ("frames", ["jpeg"], None, "not a plain media type: 'jpeg'"),
        ("frames", ["image/jpeg; q=1"], None, "not a plain media type: 'image/jpeg; q=1'"),
        ("frames", ["multipart/related"], None, "not a plain media type: 'multipart/related'"),
        ("frames", [], None, "media_types is empty"),
        ("frames", [("image/jpeg", None, 1.5)], None, "a q-value lies between 0 and 1, not 1.5"),
        ("frames", [("image/jpeg", None, -0.1)], None, "a q-value lies between 0 and 1, not -0.1"),
        ("frames", [()], None, "a media type is a string or a tuple, not ()"),
        (
            "frames",
            [["image/jpeg"]],
            None,
            "a media type is a string or a tuple, not ['image/jpeg']",
        ),
        ("frames", ["image/jpeg"], "1.2.x", "not a transfer syntax UID: '1.2.x'"),
        ("metadata", None, EXPLICIT, "metadata has no transfer syntax"),
        (
            "series",
            None,
            None,
            "unknown resource 'series'; expected one of ('instances', "
            "'metadata', 'frames', 'bulkdata', 'rendered', 'thumbnail')",
        ),
    ],
)
def test_refusals(resource, media_types, syntax, message):
    with pytest.raises(InvalidArgumentError) as caught:
        accept_header(resource, media_types, transfer_syntax=syntax)
    assert str(caught.value) == message


def test_one_media_type_as_a_string_and_other_resources_take_any_type():
    assert accept_header("rendered", "image/gif") == "image/gif"
    assert accept_header("rendered", ["text/html"]) == "text/html"
    assert accept_header("metadata", ["application/json"]) == "application/json"
