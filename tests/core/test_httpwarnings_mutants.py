"""The ``Warning`` header reader's exact values (issue 13.4): quoting and escapes, dates holding
commas, several values per header, unquoted texts, leftovers kept whole, and each wording of a
search cut short."""

from __future__ import annotations

import pytest

from dicomkit.core.operations.httpwarnings import (
    WarningValue,
    additional_results,
    parse_warnings,
    warning_texts,
)


def _parse(value: str) -> list[WarningValue]:
    return parse_warnings({"Warning": value})


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('299 svc: "text"', [(299, "svc", "text")]),
        ('299 svc "text"', [(299, "svc", "text")]),
        ('  299   svc::   " padded "  ', [(299, "svc", "padded")]),
        (r'299 svc "a \"b\" \\ c", 199 - "x"', [(299, "svc", 'a "b" \\ c'), (199, "-", "x")]),
        (
            '299 svc "t" "Wed, 21 Oct 2015 07:28:00 GMT", 299 other "u"',
            [(299, "svc", "t"), (299, "other", "u")],
        ),
        ('299 svc "t"   ,  110 x "u"', [(299, "svc", "t"), (110, "x", "u")]),
        ('299 svc "t" 299 x "u"', [(299, "svc", "t")]),
        (
            "299 svc: some text here, 299 b: more",
            [(299, "svc", "some text here"), (299, "b", "more")],
        ),
        ("299 svc a, b", [(299, "svc", "a, b")]),
        ("299 svc a,299 b c", [(299, "svc", "a"), (299, "b", "c")]),
        ("299 svc a, 29 b c", [(299, "svc", "a, 29 b c")]),
        ('oops, "x"', [(None, "", 'oops, "x"')]),
        ('299 svc "t", junk', [(299, "svc", "t"), (None, "", "junk")]),
        ('299 svc "t",  ,\t', [(299, "svc", "t")]),
        ('299 svc "abc', [(299, "svc", "abc")]),
        ('299 svc "ab\\', [(299, "svc", "ab\\")]),
        ('299 svc ""', [(299, "svc", "")]),
        ("", []),
        ("   ", []),
        ("2990 svc x", [(None, "", "2990 svc x")]),
        ('299 svc "a\\x', [(299, "svc", "ax")]),
        ("Xjunk X", [(None, "", "Xjunk X")]),
        ('299 proX: "t"', [(299, "proX", "t")]),
        ('299 a "t", 299 b "u", 299 c "v"', [(299, "a", "t"), (299, "b", "u"), (299, "c", "v")]),
        ('299 a "t",299 b "u"', [(299, "a", "t"), (299, "b", "u")]),
    ],
)
def test_parse_one_header(value: str, expected: list[tuple[int | None, str, str]]) -> None:
    assert _parse(value) == [WarningValue(*item) for item in expected]


def test_every_header_in_order_and_the_texts_once() -> None:
    headers = [
        ("Warning", '299 a "x"'),
        ("Content-Type", "application/dicom+json"),
        ("warning", '299 b "y", 299 c ""'),
        ("WARNING", '299 d "x"'),
    ]
    assert parse_warnings(headers) == [
        WarningValue(299, "a", "x"),
        WarningValue(299, "b", "y"),
        WarningValue(299, "c", ""),
        WarningValue(299, "d", "x"),
    ]
    assert warning_texts(headers) == ["x", "y"]
    assert warning_texts(None) == []


def _warnings(*texts: str) -> list[WarningValue]:
    return [WarningValue(299, "svc", text) for text in texts]


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (["There are 5 additional results that can be requested"], (True, 5)),
        (["1 more result"], (True, 1)),
        (["10 remaining MATCHES"], (True, 10)),
        (["more results available"], (True, None)),
        (["Results were truncated"], (True, None)),
        (["result set truncated"], (True, None)),
        (["the number of results exceeded the maximum"], (True, None)),
        (["Truncated search"], (True, None)),
        (["truncated query"], (True, None)),
        (["Maximum number of matches reached"], (True, None)),
        (["maximum  number\tof results"], (True, None)),
        (["PatientName truncated to 64 characters"], (False, None)),
        (["fuzzy matching is not supported"], (False, None)),
        ([], (False, None)),
        (["3 additional results", "unrelated", "more results"], (True, 3)),
        (["3 additional results", "7 more matches"], (True, 7)),
        (["unrelated 4 things", "more results"], (True, None)),
    ],
)
def test_additional_results(texts: list[str], expected: tuple[bool, int | None]) -> None:
    assert additional_results(_warnings(*texts)) == expected
