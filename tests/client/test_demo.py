"""The README's demo runs start to finish and tells what it did."""

from __future__ import annotations

import pytest

from dicomkit import demo


def test_demo_runs_every_step(capsys: pytest.CaptureFixture[str]) -> None:
    assert demo.main() == 0
    out = capsys.readouterr().out
    for step in ("STOW-RS", "QIDO-RS", "WADO-RS: downloading", "WADO-RS frames", "DELETE"):
        assert step in out
    assert "identical to the uploaded file: True" in out
    assert "skipped MR_small_RLE.dcm" in out
    assert "All steps passed" in out


def test_sample_files_are_unique_instances() -> None:
    files = demo.sample_files()
    assert len(files) >= 4
    assert len({path.name for path in files}) == len(files)
