"""Paged searches' exact decisions (issue 13.4): the offset after each page, every reason to
stop (empty, short, repeated, nothing new, smaller than before) and how a ``Warning`` saying
the server cut the results short keeps the search going; the policy check and SearchResult."""

from __future__ import annotations

from typing import Any

import pytest

from dicomkit.core.errors import DicomkitError, InvalidArgumentError
from dicomkit.core.operations.paging import (
    TRUNCATION_POLICIES,
    Pager,
    SearchResult,
    SearchTruncatedError,
    check_truncation_policy,
    is_truncated,
)

CUT = {"Warning": '299 svc "There are 3 additional results that can be requested"'}


def _items(*numbers: int) -> list[dict[str, Any]]:
    return [{"00100020": {"vr": "LO", "Value": [str(n)]}} for n in numbers]


def test_defaults() -> None:
    pager = Pager()
    assert (pager.limit, pager.offset, pager.done) == (None, 0, False)
    assert Pager(limit=5, offset=7).offset == 7


def test_full_pages_then_a_short_one() -> None:
    pager = Pager(limit=2, offset=1)
    assert pager.accept(_items(1, 2)) == _items(1, 2)
    assert (pager.offset, pager.done) == (3, False)
    assert pager.accept(_items(3, 4)) == _items(3, 4)
    assert (pager.offset, pager.done) == (5, False)
    assert pager.accept(_items(5)) == _items(5)
    assert (pager.offset, pager.done) == (6, True)


def test_a_page_of_exactly_the_limit_goes_on() -> None:
    pager = Pager(limit=1)
    assert pager.accept(_items(1)) == _items(1)
    assert not pager.done
    assert pager.offset == 1


def test_a_short_page_with_a_truncation_warning_goes_on() -> None:
    pager = Pager(limit=5)
    assert pager.accept(_items(1, 2), CUT) == _items(1, 2)
    assert (pager.offset, pager.done) == (2, False)
    assert pager.accept(_items(3), CUT) == _items(3)
    assert (pager.offset, pager.done) == (3, False)
    assert pager.accept(_items(4)) == _items(4)
    assert pager.done


def test_without_limit_a_smaller_page_than_before_stops() -> None:
    pager = Pager()
    assert pager.accept(_items(1, 2, 3)) == _items(1, 2, 3)
    assert not pager.done
    assert pager.accept(_items(4, 5, 6)) == _items(4, 5, 6)
    assert not pager.done
    assert pager.offset == 6
    assert pager.accept(_items(7, 8), CUT) == _items(7, 8)
    assert not pager.done
    assert pager.accept(_items(9, 10)) == _items(9, 10)
    assert pager.done
    assert pager.offset == 10


def test_a_page_as_large_as_the_largest_goes_on() -> None:
    pager = Pager()
    pager.accept(_items(1, 2))
    pager.accept(_items(3))
    assert pager.done
    pager = Pager()
    pager.accept(_items(1))
    pager.accept(_items(2, 3))
    pager.accept(_items(4, 5))
    assert not pager.done


def test_an_empty_page_stops() -> None:
    pager = Pager(limit=2)
    assert pager.accept([], CUT) == []
    assert pager.done
    assert pager.offset == 0


def test_a_repeated_page_stops_without_moving() -> None:
    pager = Pager(limit=2)
    pager.accept(_items(1, 2))
    assert pager.accept(_items(1, 2), CUT) == []
    assert pager.done
    assert pager.offset == 2


def test_only_new_items_are_returned_and_all_old_stops() -> None:
    pager = Pager(limit=2)
    pager.accept(_items(1, 2))
    assert pager.accept(_items(2, 3)) == _items(3)
    assert (pager.offset, pager.done) == (4, False)
    assert pager.accept(_items(3, 1), CUT) == []
    assert pager.done
    assert pager.offset == 4


def test_keys_ignore_member_order() -> None:
    pager = Pager()
    pager.accept([{"a": 1, "b": 2}])
    assert pager.accept([{"b": 2, "a": 1}]) == []
    assert pager.done


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"limit": 0}, "limit"),
        ({"offset": -1}, "offset"),
    ],
)
def test_counts_are_checked(options: dict[str, int], message: str) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        Pager(**options)
    assert str(caught.value).startswith(message)


def test_policies() -> None:
    assert TRUNCATION_POLICIES == ("follow", "raise", "warn", "return")
    for policy in TRUNCATION_POLICIES:
        assert check_truncation_policy(policy) == policy
    with pytest.raises(InvalidArgumentError) as caught:
        check_truncation_policy("Follow")
    assert str(caught.value) == (
        "on_truncated must be one of ('follow', 'raise', 'warn', 'return'), not 'Follow'"
    )
    with pytest.raises(InvalidArgumentError) as caught:
        check_truncation_policy("x" * 60)
    assert str(caught.value).endswith(", not '" + "x" * 39)


def test_is_truncated() -> None:
    assert is_truncated(CUT) is True
    assert is_truncated({"Warning": '299 svc "fuzzy matching not supported"'}) is False
    assert is_truncated(None) is False


def test_search_result() -> None:
    empty = SearchResult()
    assert (list(empty), empty.warnings, empty.truncated, empty.remaining, empty.pages) == (
        [],
        [],
        False,
        None,
        1,
    )
    warnings = ["w"]
    result = SearchResult(_items(1), warnings=warnings, truncated=True, remaining=3, pages=2)
    warnings.append("x")
    assert list(result) == _items(1)
    assert isinstance(result, list)
    assert (result.warnings, result.truncated, result.remaining, result.pages) == (
        ["w"],
        True,
        3,
        2,
    )
    error = SearchTruncatedError("cut", result)
    assert isinstance(error, DicomkitError)
    assert str(error) == "cut"
    assert error.result is result
