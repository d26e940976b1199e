"""A part streamed into its file (dicomkit.jobs._part_sink), however its bytes are cut into
pieces: the file holds exactly the part, named by the UIDs in it; a part the job does not
take leaves no file; a part whose head the scanner cannot walk is read by pydicom at its end;
a wrong Content-Length or a part cut short leaves nothing behind."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydicom.uid import ExplicitVRBigEndian

from dicomkit.core.errors import ProtocolError
from dicomkit.core.interface import Headers
from dicomkit.files.uid_scan import HEAD_BYTES
from dicomkit.jobs._part_sink import PartSink, Receiver, Taken
from dicomkit.jobs._staging import Group, StagedFiles, Syncer
from dicomkit.testing.data import dataset_bytes, make_instance

INSTANCE = make_instance(rows=256, cols=256)  # 128 KiB of pixels: more than HEAD_BYTES
DATA = dataset_bytes(INSTANCE)
UIDS = (
    str(INSTANCE.StudyInstanceUID),
    str(INSTANCE.SeriesInstanceUID),
    str(INSTANCE.SOPInstanceUID),
)


def _cut(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({0, len(data), *(c % (len(data) + 1) for c in cuts)})
    return [data[a:b] for a, b in itertools.pairwise(points)]


def _final(taken: list[Taken], files: StagedFiles) -> None:
    for _, file, (item, key) in taken:
        files.finish(file, item, key)
    files.flush()


def _syncer(root: Path, groups: list[Group]) -> Syncer:
    return Syncer(root, groups.append, lambda group: None)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cuts=st.lists(st.integers(min_value=0, max_value=len(DATA)), max_size=6))
def test_any_cut_into_pieces_gives_the_whole_part_under_its_uids(
    tmp_path_factory: pytest.TempPathFactory, cuts: list[int]
) -> None:
    root = tmp_path_factory.mktemp("out")
    groups: list[Group] = []
    syncer = _syncer(root, groups)
    files = StagedFiles(syncer)
    taken: list[Taken] = []
    receiver = Receiver(files, None, lambda uids: (None, 1), taken.append)
    sink = receiver.sink(Headers({"Content-Length": str(len(DATA))}))
    for piece in _cut(DATA, cuts):
        sink.write(piece)
    receiver.end()
    _final(taken, files)
    syncer.close()
    target = root.joinpath(*UIDS[:2], f"{UIDS[2]}.dcm")
    assert target.read_bytes() == DATA
    assert [staged.size for group in groups for staged in group.files] == [len(DATA)]
    assert [p.name for p in target.parent.iterdir()] == [target.name]


def test_a_part_not_taken_leaves_no_file(tmp_path: Path) -> None:
    syncer = _syncer(tmp_path, [])
    files = StagedFiles(syncer)
    sink = PartSink(files, Headers(), None, lambda uids: None)
    sink.write(DATA)
    assert sink.finish() is None
    assert sink.uids == UIDS
    syncer.close()
    assert list(tmp_path.rglob("*")) == []


def test_a_head_the_scanner_cannot_walk_is_read_whole_by_pydicom(tmp_path: Path) -> None:
    odd = make_instance(rows=256, cols=256)
    odd.file_meta.TransferSyntaxUID = ExplicitVRBigEndian
    data = dataset_bytes(odd)
    syncer = _syncer(tmp_path, [])
    files = StagedFiles(syncer)
    sink = PartSink(files, Headers(), None, lambda uids: (None, 1))
    for start in range(0, len(data), HEAD_BYTES // 2):
        sink.write(data[start : start + HEAD_BYTES // 2])
    assert sink.file is None  # held until its end: only pydicom can name it
    taken = sink.finish()
    assert taken is not None
    assert taken[0] == (
        str(odd.StudyInstanceUID),
        str(odd.SeriesInstanceUID),
        str(odd.SOPInstanceUID),
    )
    taken[1].close()
    assert Path(taken[1].temp).read_bytes() == data
    syncer.close()


def test_a_wrong_length_or_a_cut_leaves_nothing(tmp_path: Path) -> None:
    syncer = _syncer(tmp_path, [])
    files = StagedFiles(syncer)
    receiver = Receiver(files, None, lambda uids: (None, 1), lambda taken: None)
    sink = receiver.sink(Headers({"Content-Length": str(len(DATA) + 1)}))
    sink.write(DATA)
    with pytest.raises(ProtocolError, match="announced"):
        receiver.end()
    cut = receiver.sink(Headers())
    cut.write(DATA[: HEAD_BYTES + 10])
    assert cut.file is not None
    assert os.path.exists(cut.file.temp)
    receiver.abort()
    syncer.close()
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
