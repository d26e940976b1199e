"""The README's demo runs the ``dicomkit`` command through its main job and tells what it did:
an upload killed half way and resumed, a search table, a download identical to what was sent."""

from __future__ import annotations

import re

import pytest

from dicomkit import demo


def test_demo_runs_every_step(capfd: pytest.CaptureFixture[str]) -> None:
    assert demo.main() == 0
    out, err = capfd.readouterr()
    for command in (
        "$ dicomkit upload scans",
        "$ dicomkit jobs list",
        "$ dicomkit jobs resume",
        "$ dicomkit search studies",
        "$ dicomkit download",
        "$ dicomkit delete",
    ):
        assert command in out
    assert "killed (exit -9)" in out
    # the killed upload left work undone, and the resumed one moved only that
    listed = re.search(r"unfinished .*?(\d+) pending", out)
    assert listed is not None
    moved = re.search(r"moved (\d+) instance\(s\)", out)
    # a batch in flight at the kill may have reached the server: "already present" on resume
    stored = re.search(r"(?:(\d+) already present, )?1 not dicom, (\d+) stored", out)
    assert moved is not None
    assert stored is not None
    confirmed = int(stored.group(1) or 0) + int(stored.group(2))
    assert confirmed > demo.DEMO_INSTANCES
    assert 0 < int(moved.group(1)) < confirmed
    assert re.search(r"StudyInstanceUID +PatientID +PatientName", out)  # the table
    assert "DEMO-1" in out
    assert "each identical to the uploaded file: True" in out
    assert "upload: " in err  # progress went to stderr
    assert "All steps passed" in out


def test_sample_files_are_unique_instances() -> None:
    files = demo.sample_files()
    assert len(files) >= 4
    assert len({path.name for path in files}) == len(files)
