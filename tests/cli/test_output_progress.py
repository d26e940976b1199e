"""The printing helpers on their own: result formats, the progress display, sizes, targets."""

from __future__ import annotations

import argparse
import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from dicomkit.cli import UsageError
from dicomkit.cli.output import cell, columns_for, tag_of, write_rows
from dicomkit.cli.progress import ProgressDisplay, human_bytes, human_duration
from dicomkit.commands._transfer import parse_size, resume_command
from dicomkit.commands.download import read_targets

ROWS = [
    {
        "0020000D": {"vr": "UI", "Value": ["1.2.3"]},
        "00100010": {"vr": "PN", "Value": [{"Alphabetic": "Doe^Jane"}]},
        "00080061": {"vr": "CS", "Value": ["CT", "PT"]},
        "00081030": {"vr": "LO", "Value": ['a "quoted", comma']},
    },
    {"0020000D": {"vr": "UI", "Value": ["1.2.4"]}, "00100020": {"vr": "LO"}},
]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_cells_read_names_lists_and_absent_values() -> None:
    assert cell(ROWS[0], "00100010") == "Doe^Jane"
    assert cell(ROWS[0], "00080061") == "CT\\PT"
    assert cell(ROWS[1], "00100020") == ""  # present without a value
    assert cell(ROWS[1], "00100010") == ""  # absent
    assert cell({"7FE00010": {"vr": "OW", "BulkDataURI": "x"}}, "7FE00010") == "(bulk data)"


def test_tags_from_keywords_and_tags() -> None:
    assert tag_of("PatientID") == "00100020"
    assert tag_of("0010,0020") == "00100020"
    assert tag_of("(0010,0020)") == "00100020"
    assert tag_of("BodyPartExamined") == "00180015"  # from the DICOM dictionary
    with pytest.raises(UsageError, match="neither a DICOM keyword nor a tag"):
        tag_of("NoSuchThing")
    assert columns_for("series", ["BodyPartExamined", "Modality", "all"])[-1] == "BodyPartExamined"


def test_every_format() -> None:
    columns = columns_for("studies", [])
    out = io.StringIO()
    assert write_rows(iter(ROWS), "csv", columns, out) == 2
    records = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert records[0]["StudyDescription"] == 'a "quoted", comma'
    assert records[0]["ModalitiesInStudy"] == "CT\\PT"

    out = io.StringIO()
    write_rows(iter(ROWS), "jsonl", columns, out)
    assert [json.loads(line) for line in out.getvalue().splitlines()] == ROWS

    out = io.StringIO()
    write_rows(iter(ROWS), "json", columns, out)
    assert json.loads(out.getvalue()) == ROWS

    out = io.StringIO()
    write_rows(iter(ROWS), "table", columns, out)
    header, rule, first, _second = out.getvalue().splitlines()
    assert header.startswith("StudyInstanceUID  PatientID  PatientName")
    assert first.split()[:2] == ["1.2.3", "Doe^Jane"]
    assert len(rule.split()) == len(columns)


def test_a_narrow_terminal_drops_columns_from_the_right(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "40")
    out = Terminal()
    write_rows(iter(ROWS), "table", columns_for("studies", []), out)
    lines = out.getvalue().splitlines()
    assert all(len(line) <= 40 for line in lines[:-1])
    assert "column(s) hidden" in lines[-1]


@dataclass(frozen=True)
class Step:
    kind: str = "upload"
    instances_done: int = 5
    instances_total: int | None = 10
    bytes_done: int = 5_000_000
    bytes_total: int | None = 10_000_000
    failed: int = 1
    bytes_this_run: int = 5_000_000
    elapsed: float = 2.0

    @property
    def rate(self) -> float:
        return self.bytes_this_run / self.elapsed

    @property
    def eta(self) -> float | None:
        return 2.0 if self.bytes_total else None


def test_progress_on_a_terminal_is_one_bar_redrawn() -> None:
    clock = iter([0.0, 0.05, 0.2, 0.3]).__next__
    out = Terminal()
    display = ProgressDisplay("upload", out, clock=clock)
    display(Step(instances_done=1))
    display(Step(instances_done=2))  # within 0.1 s: not drawn
    display(Step())
    display.finish()
    text = out.getvalue()
    assert text.count("\r") == 3  # two draws and the final one
    assert text.endswith("\n")
    assert "[##########..........]  50% upload: 5/10 instances  5.0 MB/10.0 MB" in text
    assert "2.5 MB/s  0:02 left  1 failed" in text
    assert "2/10" not in text


def test_progress_in_a_log_is_plain_lines() -> None:
    times = iter([0.0, 1.0, 6.0]).__next__
    out = io.StringIO()
    display = ProgressDisplay("download", out, clock=times)
    step = Step(kind="download", instances_total=None, bytes_total=None)
    display(step)
    display(step)
    display(step)
    display.finish()
    lines = out.getvalue().splitlines()
    assert len(lines) == 3  # 0 s, 6 s and the last state
    assert lines[0] == "download: 5 instances  5.0 MB  2.5 MB/s  1 failed"
    assert "\r" not in out.getvalue()


def test_human_units() -> None:
    assert human_bytes(999) == "999 B"
    assert human_bytes(1536) == "1.5 KB"
    assert human_bytes(2.5e9) == "2.5 GB"
    assert human_duration(59.6) == "1:00"
    assert human_duration(3725) == "1:02:05"


@pytest.mark.parametrize(
    ("text", "size"),
    [("2000000", 2_000_000), ("50MB", 50_000_000), ("1GiB", 1 << 30), ("500k", 500_000)],
)
def test_sizes(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "MB", "1.5XB", "0", "-3"])
def test_bad_sizes(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        parse_size(text)


def test_targets_from_a_file(tmp_path: Path) -> None:
    listing = tmp_path / "uids.txt"
    listing.write_text("# header\n1.2.3\n1.2.3 4.5\n\n1.2.3/4.5/6.7  # one instance\n7.8,9.1\n")
    assert read_targets(str(listing)) == [
        ("1.2.3",),
        ("1.2.3", "4.5"),
        ("1.2.3", "4.5", "6.7"),
        ("7.8", "9.1"),
    ]
    listing.write_text("1 2 3 4\n")
    with pytest.raises(UsageError, match=r"uids.txt:1: at most"):
        read_targets(str(listing))
    with pytest.raises(UsageError, match="cannot read it"):
        read_targets(str(tmp_path / "missing.txt"))


def test_the_resume_command_repeats_options_but_no_secret() -> None:
    args = argparse.Namespace(
        url="http://h:8042/dicom web",
        profile=None,
        transport="urllib3",
        dialect=None,
        basic="alice",
        oauth2_env=None,
        azure=False,
        google=True,
        token="SECRET",
    )
    hint = resume_command(args, Path("/j/x.dicomkit-job"))
    assert hint == (
        "dicomkit --url 'http://h:8042/dicom web' --transport urllib3 --basic alice --google"
        " jobs resume /j/x.dicomkit-job"
    )
