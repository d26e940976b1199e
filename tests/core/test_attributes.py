"""``lookup``: an empty or blank keyword is unknown, like any keyword pydicom does not know.

pydicom lists (300A,0782), an attribute with no keyword, under the keyword ``""``; before this
was handled, ``lookup("")`` answered that tag, so a missing name (``"PatientID."``, an empty
filter key, ``first_value(obj, "")``) turned into a real attribute instead of an error. The
callers must refuse it with an InvalidArgumentError that says what is wrong.
"""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dicomkit.core._attributes import COMMON, lookup
from dicomkit.core.dicomjson import first_value
from dicomkit.core.errors import InvalidArgumentError
from dicomkit.core.operations.azure import query_tag_path
from dicomkit.core.query import build_query, normalize_attribute

blanks = st.text(alphabet=string.whitespace + "\u00a0\u2003\u3000", max_size=6)
"""Empty text and runs of ASCII and Unicode spaces."""
keywords = st.sampled_from(sorted(COMMON))


@given(blanks)
def test_a_blank_keyword_is_not_found(blank: str) -> None:
    assert lookup(blank) is None


def test_the_empty_keyword_of_the_dictionary_is_not_answered() -> None:
    from pydicom.datadict import keyword_dict

    assert "" in keyword_dict  # the entry this guards against, still in pydicom
    assert lookup("") is None
    assert lookup(keyword_dict[""]) is not None  # the attribute itself, by tag, is still known


@given(keywords)
def test_keywords_and_their_tags_are_still_found(keyword: str) -> None:
    tag, vr = COMMON[keyword]
    assert lookup(keyword) == (tag, vr)
    assert lookup(tag) == (tag, vr)


@given(keywords, blanks.filter(bool), st.sampled_from(["before", "after"]))
def test_a_keyword_with_blanks_around_it_is_not_a_keyword(
    keyword: str, blank: str, where: str
) -> None:
    assert lookup(blank + keyword if where == "before" else keyword + blank) is None


@given(blanks)
def test_a_blank_filter_key_or_field_is_refused(blank: str) -> None:
    with pytest.raises(InvalidArgumentError, match="is not a keyword or a tag"):
        build_query({blank: "1"})
    with pytest.raises(InvalidArgumentError, match="is not a keyword or a tag"):
        build_query(fields=[blank])
    with pytest.raises(InvalidArgumentError, match="is not a tag path or a keyword"):
        query_tag_path(blank)
    with pytest.raises(InvalidArgumentError, match="neither a DICOM keyword nor a tag"):
        first_value({}, blank)


@given(
    st.lists(keywords, min_size=1, max_size=3),
    st.integers(min_value=0, max_value=3),
    blanks,
)
def test_a_sequence_path_with_an_empty_part_is_refused(
    parts: list[str], position: int, blank: str
) -> None:
    """``PatientID.``, ``.PatientID``, ``A..B`` or a blank between dots: an empty part."""
    parts.insert(min(position, len(parts)), blank)
    path = ".".join(parts)
    with pytest.raises(InvalidArgumentError, match="has an empty part"):
        normalize_attribute(path)
    with pytest.raises(InvalidArgumentError, match="has an empty part"):
        build_query({path: "1"})


@given(st.lists(keywords, min_size=1, max_size=3))
def test_a_sequence_path_without_an_empty_part_still_passes(parts: list[str]) -> None:
    path = ".".join(parts)
    assert normalize_attribute(path) == path
