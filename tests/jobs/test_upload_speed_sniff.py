"""Uploads sniff each file with one read when its head shows its UIDs (issue 11, cold start
and upload): the fast path must judge every file exactly as the full one does."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydicom.uid import ImplicitVRLittleEndian

from dicomkit.files import folder
from dicomkit.files.folder import sniff_file
from dicomkit.files.uid_scan import HEAD_BYTES, scan_uids
from dicomkit.jobs._files import Sniffed, sniff
from dicomkit.testing.data import dataset_bytes, make_instance


def _slow(path: Path) -> Sniffed:
    """What sniff answered before the fast path: sniff_file, then the UIDs from a second read."""
    scanned = sniff_file(path)
    if not scanned.is_dicom:
        return Sniffed(False)
    if scanned.problem or not scanned.sop_instance_uid:
        return Sniffed(True, problem=scanned.problem or "no SOPInstanceUID")
    found = scan_uids(path.read_bytes()[:HEAD_BYTES])
    if found is None or found[2] != scanned.sop_instance_uid:
        return Sniffed(True, scanned.size, sop=scanned.sop_instance_uid)
    return Sniffed(True, scanned.size, found[0], found[1], scanned.sop_instance_uid)


def _files_of_every_kind(folder: Path) -> list[Path]:
    explicit = make_instance()
    implicit = make_instance(transfer_syntax=ImplicitVRLittleEndian)
    no_series = make_instance()
    del no_series.SeriesInstanceUID
    headerless = dataset_bytes(make_instance())[132:]  # no preamble, no DICM
    contents = {
        "explicit.dcm": dataset_bytes(explicit),
        "implicit.dcm": dataset_bytes(implicit),
        "no-series.dcm": dataset_bytes(no_series),
        "headerless.dcm": headerless,
        "text.txt": b"not DICOM at all\n" * 20,
        "short.dcm": b"DICM",
        "truncated.dcm": dataset_bytes(explicit)[:150],
        "empty.dcm": b"",
    }
    paths = []
    for name, data in contents.items():
        path = folder / name
        path.write_bytes(data)
        paths.append(path)
    return paths


def test_the_fast_path_judges_every_file_as_the_full_sniff(tmp_path: Path) -> None:
    paths = _files_of_every_kind(tmp_path)
    assert [sniff(path) for path in paths] == [_slow(path) for path in paths]
    assert sniff(paths[0]).study is not None  # the common case keeps its study and series


def test_a_file_whose_head_shows_its_uids_is_read_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "one.dcm"
    path.write_bytes(dataset_bytes(make_instance()))

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("sniff_file called for a file the first read settled")

    monkeypatch.setattr(folder, "sniff_file", refuse)  # _files imports it when called
    found = sniff(path)
    assert found.is_dicom
    assert None not in (found.study, found.series, found.sop)
    assert found.size == path.stat().st_size


def test_an_unreadable_file_is_still_judged_by_sniff_file(tmp_path: Path) -> None:
    missing = tmp_path / "gone.dcm"
    assert sniff(missing) == _slow(missing)
    assert sniff(missing).problem
