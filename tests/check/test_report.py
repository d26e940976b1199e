"""The report's two shapes: a Markdown table for people and JSON for scripts."""

from __future__ import annotations

import json

import pytest

from dicomkit.check import Report, Row, Verdict


def _report() -> Report:
    report = Report("http://h/dicom-web", dialect="orthanc")
    report.add(
        [
            Row("QIDO", "limit", Verdict.SUPPORTED, "200 application/dicom+json"),
            Row("WADO", "Range on bulk data", Verdict.UNSUPPORTED, "200", "Range ignored"),
            Row("DELETE", "delete instance", Verdict.NOT_PROBED, "", "needs --write"),
        ]
    )
    return report


def test_table_has_one_line_per_row_and_the_dialect() -> None:
    lines = _report().to_table().splitlines()
    assert lines[0].split("|")[1:-1] == [
        " area   ",
        " feature            ",
        " result        ",
        " evidence ",
    ]
    assert lines[3] == "| WADO   | Range on bulk data | not supported | 200; Range ignored |"
    assert lines[4] == "| DELETE | delete instance    | not probed    | needs --write |"
    assert lines[-1] == "dialect to use: orthanc"


def test_json_round_trips_every_field() -> None:
    document = json.loads(_report().to_json())
    assert document["url"] == "http://h/dicom-web"
    assert document["rows"][1] == {
        "area": "WADO",
        "feature": "Range on bulk data",
        "verdict": "not supported",
        "evidence": "200",
        "note": "Range ignored",
    }


def test_find_names_a_missing_row() -> None:
    with pytest.raises(KeyError, match="QIDO: offset"):
        _report().find("QIDO", "offset")
