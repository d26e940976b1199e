"""The video rows of ``BULKDATA_MEDIA_TYPES`` against two sources other than memory.

The HEVC/H.265 rows were once written from memory. Two written sources check them now:

- the UID names pydicom carries from PS3.6 (``pydicom.uid.UID(uid).name``): which syntax is
  MPEG-2, which H.264, which HEVC, so that each maps to the media type of its codec;
- PS3.18 8.7.3.5, whose grammar names the video media types a part may have:
  ``video-pixel = "video/mpeg" / "video/mp4" / "video/H265"``. A default type must be one of
  them, spelled as written there (``video/H265``, capital H).
"""

from __future__ import annotations

import pytest
from pydicom.uid import UID

from dicomkit.core import media
from dicomkit.core.media import (
    BULKDATA_MEDIA_TYPES,
    accept_header,
    fits_transfer_syntax,
    media_type_for_transfer_syntax,
)

PS3_18_VIDEO_TYPES = ("video/mpeg", "video/mp4", "video/H265")
"""PS3.18 (2024d) 8.7.3.5: ``video-pixel = "video/mpeg" / "video/mp4" / "video/H265"``."""

VIDEO_SYNTAXES = [f"1.2.840.10008.1.2.4.{n}" for n in range(100, 109)]
"""PS3.6's video transfer syntaxes before the fragmentable ones: MPEG-2 (100, 101), MPEG-4
AVC/H.264 (102 to 106), HEVC/H.265 (107, 108)."""


def _codec_type(uid: str) -> str:
    """The PS3.18 video media type of a syntax, from its PS3.6 name (as pydicom has it)."""
    name = UID(uid).name
    if name.startswith("HEVC/H.265"):
        return "video/H265"
    if name.startswith("MPEG-4 AVC/H.264"):
        return "video/mp4"
    if name.startswith("MPEG2"):
        return "video/mpeg"
    raise AssertionError(f"{uid} is not named as a video syntax: {name!r}")


def test_the_hevc_constants_are_the_syntaxes_pydicom_names() -> None:
    assert UID(media.HEVC_MAIN_PROFILE).name == "HEVC/H.265 Main Profile / Level 5.1"
    assert UID(media.HEVC_MAIN_10_PROFILE).name == "HEVC/H.265 Main 10 Profile / Level 5.1"
    assert media.VIDEO_H265 == "video/H265"


@pytest.mark.parametrize("uid", VIDEO_SYNTAXES)
def test_each_video_syntax_defaults_to_the_type_of_its_codec(uid: str) -> None:
    expected = _codec_type(uid)
    assert media_type_for_transfer_syntax(uid) == expected  # exact spelling, the default
    assert BULKDATA_MEDIA_TYPES[uid][0] == expected
    assert expected in PS3_18_VIDEO_TYPES
    for other in set(PS3_18_VIDEO_TYPES) - {expected}:
        assert not fits_transfer_syntax(other, uid), other


def test_both_hevc_syntaxes_are_asked_for_as_video_h265() -> None:
    for uid in (media.HEVC_MAIN_PROFILE, media.HEVC_MAIN_10_PROFILE):
        assert BULKDATA_MEDIA_TYPES[uid] == ("video/H265",)
        assert accept_header("frames", transfer_syntax=uid) == (
            f'multipart/related; type="video/H265"; transfer-syntax={uid}'
        )
        assert fits_transfer_syntax("video/h265", uid)  # a server's lower case fits (RFC 6838)
        assert fits_transfer_syntax("video/*", uid)


def test_every_default_video_type_of_the_table_is_one_ps3_18_names() -> None:
    defaults = {
        kinds[0] for kinds in BULKDATA_MEDIA_TYPES.values() if kinds[0].startswith("video/")
    }
    assert defaults == set(PS3_18_VIDEO_TYPES)
