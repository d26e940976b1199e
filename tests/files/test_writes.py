"""Downloaded bytes reach their files in order and in system calls of at most WRITE_LIMIT
bytes (dicomkit.files.writes), whatever size of pieces a transport hands over and however
little the system takes at a time: the jobs' staged files and the client's download to a
folder both write through it."""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dicomkit.core import multipart
from dicomkit.core.interface import Headers
from dicomkit.files.download import PartFileWriter
from dicomkit.files.writes import WRITE_LIMIT, limited, write_pieces
from dicomkit.jobs._staging import Group, StagedFiles, Syncer
from dicomkit.testing.data import dataset_bytes, make_instance

_WRITE = os.write
_WRITEV = os.writev
"""The system's own, taken before any test replaces them (examples share one monkeypatch)."""


def _pieces(sizes: list[int]) -> list[bytes]:
    return [random.Random(n).randbytes(size) for n, size in enumerate(sizes)]


class _Calls:
    """Stands in for ``os.write`` and ``os.writev``: records what each call was offered and
    takes at most ``most`` bytes of it, as a system may."""

    def __init__(self, most: int) -> None:
        self.most = most
        self.offered: list[int] = []
        self.vectors: list[int] = []

    def write(self, fd: int, data: Any) -> int:
        self.offered.append(len(data))
        return _WRITE(fd, memoryview(data)[: self.most])

    def writev(self, fd: int, buffers: list[Any]) -> int:
        self.offered.append(sum(len(b) for b in buffers))
        self.vectors.append(len(buffers))
        return _WRITEV(fd, [b"".join(bytes(b) for b in buffers)[: self.most]])


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> _Calls:
    recorder = _Calls(1 << 30)
    monkeypatch.setattr(os, "write", recorder.write)
    monkeypatch.setattr(os, "writev", recorder.writev)
    return recorder


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    sizes=st.lists(
        st.one_of(
            st.integers(min_value=0, max_value=300),
            st.integers(min_value=WRITE_LIMIT - 300, max_value=3 * WRITE_LIMIT),
        ),
        max_size=6,
    ),
    most=st.one_of(st.integers(min_value=4096, max_value=65536), st.just(1 << 30)),
)
def test_pieces_land_in_order_and_no_call_is_offered_more_than_the_limit(
    tmp_path_factory: pytest.TempPathFactory, calls: _Calls, sizes: list[int], most: int
) -> None:
    calls.most, calls.offered, calls.vectors = most, [], []
    pieces = _pieces(sizes)
    path = tmp_path_factory.mktemp("w") / "f"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT)
    try:
        write_pieces(fd, pieces)
    finally:
        os.close(fd)
    assert path.read_bytes() == b"".join(pieces)
    assert all(offered <= WRITE_LIMIT for offered in calls.offered)
    small = [piece for piece in pieces if piece]
    if len(small) > 1 and sum(map(len, small)) <= min(most, WRITE_LIMIT):
        assert calls.vectors == [len(small)]  # all of them in one system call


def test_a_staged_file_offers_the_system_at_most_the_limit_per_call(
    tmp_path: Path, calls: _Calls
) -> None:
    """A whole instance handed over at once (a part held whole, a backend with large pieces)
    and small pieces after it: written in calls of WRITE_LIMIT at most."""
    groups: list[Group] = []
    syncer = Syncer(tmp_path, groups.append, lambda group: None)
    files = StagedFiles(syncer)
    pieces = _pieces([3 * WRITE_LIMIT + 17, 10, 20, WRITE_LIMIT, 5])
    file = files.start(("1.2", "1.2.3", "1.2.3.4"))
    for piece in pieces:
        file.write(piece)
    files.finish(file, None, 1)
    files.flush()
    syncer.close()
    target = tmp_path / "1.2" / "1.2.3" / "1.2.3.4.dcm"
    assert target.read_bytes() == b"".join(pieces)
    assert max(calls.offered) == WRITE_LIMIT
    assert sum(calls.offered) == sum(map(len, pieces))


def test_a_download_to_a_folder_hands_its_file_at_most_the_limit_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PartFileWriter writes through a buffered file: each write larger than its buffer is
    one system call, so the writer itself cuts what it hands over."""
    data = dataset_bytes(make_instance(rows=768, cols=768))  # over a MiB
    handed: list[int] = []
    fdopen = os.fdopen

    class Recorded:
        def __init__(self, handle: Any) -> None:
            self.handle = handle

        def write(self, piece: Any) -> int:
            handed.append(len(piece))
            written: int = self.handle.write(piece)
            return written

        def close(self) -> None:
            self.handle.close()

    monkeypatch.setattr(os, "fdopen", lambda fd, mode: Recorded(fdopen(fd, mode)))
    writer = PartFileWriter.create(tmp_path)
    writer.feed([multipart.PartStart(Headers()), multipart.PartData(data), multipart.PartEnd()])
    assert [path.read_bytes() for path in writer.written] == [data]
    assert max(handed) == WRITE_LIMIT
    assert sum(handed) == len(data)


def test_limited_cuts_without_copying() -> None:
    data = bytes(2 * WRITE_LIMIT + 1)
    pieces = limited(data)
    assert [len(piece) for piece in pieces] == [WRITE_LIMIT, WRITE_LIMIT, 1]
    assert all(isinstance(piece, memoryview) and piece.obj is data for piece in pieces)
    small = b"x" * 10
    assert limited(small) == [small]
