"""One wrong ``limit`` or ``offset``, one message, whichever path it is given to.

``dicomkit.core.query.check_count`` owns the words. Before, a search built by
``build_query`` said ``limit must be an integer >= 1, not 0`` while a paged search and the
Azure change feed said ``limit must be >= 1, not 0`` (and cut the value's text elsewhere);
this test gives the same value to every path that takes a count and asks for the same
InvalidArgumentError and the same text.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dicomkit.core.errors import InvalidArgumentError
from dicomkit.core.operations.azure_exchanges import AzureExchanges
from dicomkit.core.operations.builder import Operations
from dicomkit.core.operations.dialect import Dialect
from dicomkit.core.operations.framebatch import check_batching
from dicomkit.core.operations.paging import Pager
from dicomkit.core.operations.ups import WorkitemExchanges
from dicomkit.core.query import build_query, check_count
from dicomkit.core.stow import plan_batches
from dicomkit.core.urls import DicomWebURLs

_URLS = DicomWebURLs("https://pacs.example/dicom-web")
_OPS = Operations(_URLS)
_AZURE = AzureExchanges(Operations(DicomWebURLs("https://dicom.example/svc", api_version="v2")))
_UPS = WorkitemExchanges(_OPS)

Path = Callable[[str, Any], object]
"""Give ``value`` as the count ``name`` ("limit" or "offset") to one public path."""

PATHS: dict[str, Path] = {
    "build_query": lambda name, value: build_query(**{name: value}),
    "search": lambda name, value: _OPS.search("studies", **{name: value}),
    "paged search": lambda name, value: Pager(**{name: value}),
    "UPS search": lambda name, value: _UPS.search(**{name: value}),
    "Azure change feed": lambda name, value: _AZURE.change_feed(**{name: value}),
    "Azure tag listing": lambda name, value: _AZURE.list_query_tags(**{name: value}),
    "Azure tag errors": lambda name, value: _AZURE.query_tag_errors("PatientAge", **{name: value}),
}
MINIMUM = {"limit": 1, "offset": 0}

wrong_values = st.one_of(
    st.integers(max_value=-1),
    st.just(0),
    st.booleans(),
    st.floats(allow_nan=False),
    st.text(max_size=120),
    st.text(min_size=78, max_size=200),  # a value whose text is cut in the message
    st.binary(max_size=10),
    st.lists(st.integers(), max_size=3),
)


def _message(path: Path, name: str, value: Any) -> str | None:
    try:
        path(name, value)
    except InvalidArgumentError as exc:
        return str(exc)
    return None


@given(st.sampled_from(sorted(MINIMUM)), wrong_values)
def test_every_path_words_a_wrong_count_alike(name: str, value: Any) -> None:
    minimum = MINIMUM[name]
    if isinstance(value, int) and not isinstance(value, bool) and value >= minimum:
        return  # offset=0 is right
    expected = _message(lambda n, v: check_count(n, v, minimum=minimum), name, value)
    assert expected is not None
    assert expected.startswith(f"{name} must be an integer >= {minimum}, not ")
    for label, path in PATHS.items():
        assert _message(path, name, value) == expected, label


@given(st.sampled_from(sorted(MINIMUM)), st.integers(min_value=1, max_value=10**12))
def test_every_path_takes_a_right_count(name: str, value: int) -> None:
    for label, path in PATHS.items():
        assert _message(path, name, value) is None, label


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (0, "0"),
        (True, "True"),
        (1.0, "1.0"),
        ("5", "'5'"),
        ("x" * 100, "'" + "x" * 79 + "..."),
    ],
)
def test_the_message(value: Any, shown: str) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        check_count("limit", value, minimum=1)
    assert str(caught.value) == f"limit must be an integer >= 1, not {shown}"


def test_none_is_not_given() -> None:
    check_count("limit", None, minimum=1)


OtherPath = Callable[[Any], object]
"""Give ``value`` as one named count (not limit or offset) to the path that checks it."""

OTHER_COUNTS: dict[str, tuple[int, bool, OtherPath]] = {
    # name: (minimum, required (None refused), the path)
    "max_batch_instances": (1, True, lambda value: plan_batches([], max_count=value)),
    "max_batch_bytes": (1, True, lambda value: plan_batches([], max_bytes=value)),
    "batch": (1, False, lambda value: check_batching(value, 1)),
    "concurrency": (1, True, lambda value: check_batching(None, value)),
    "silent_page_size": (1, False, lambda value: Dialect(silent_page_size=value)),
    "frame_list_chars": (1, True, lambda value: Dialect(frame_list_chars=value)),
}
"""STOW batching (``core.stow``), frame batching (``core.operations.framebatch``) and a
dialect's sizes (``core.operations.dialect``) once worded the check with their own code (the
whole ``repr``, however long); they ask ``check_count`` now."""


def _other_message(path: OtherPath, value: Any) -> str | None:
    try:
        path(value)
    except InvalidArgumentError as exc:
        return str(exc)
    return None


@given(st.sampled_from(sorted(OTHER_COUNTS)), wrong_values)
def test_every_other_count_words_a_wrong_value_alike(name: str, value: Any) -> None:
    minimum, _, path = OTHER_COUNTS[name]
    if isinstance(value, int) and not isinstance(value, bool) and value >= minimum:
        return
    expected = _message(lambda n, v: check_count(n, v, minimum=minimum), name, value)
    assert expected is not None
    assert expected.startswith(f"{name} must be an integer >= {minimum}, not ")
    assert _other_message(path, value) == expected


@given(st.sampled_from(sorted(OTHER_COUNTS)), st.integers(min_value=1, max_value=10**12))
def test_every_other_count_takes_a_right_value(name: str, value: int) -> None:
    assert _other_message(OTHER_COUNTS[name][2], value) is None


@pytest.mark.parametrize("name", sorted(OTHER_COUNTS))
def test_none_is_refused_only_where_a_count_is_required(name: str) -> None:
    _, required, path = OTHER_COUNTS[name]
    if required:
        assert _other_message(path, None) == f"{name} must be an integer >= 1, not None"
    else:
        assert _other_message(path, None) is None


def test_a_long_value_is_cut_as_everywhere() -> None:
    shown = "'" + "x" * 79 + "..."
    for name, (_, _, path) in OTHER_COUNTS.items():
        assert _other_message(path, "x" * 100) == f"{name} must be an integer >= 1, not {shown}"


def test_required_refuses_none_in_the_same_words() -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        check_count("concurrency", None, minimum=1, required=True)
    assert str(caught.value) == "concurrency must be an integer >= 1, not None"
