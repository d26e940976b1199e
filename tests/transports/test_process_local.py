"""``support.ProcessLocal``: the one fork rule every backend gets (issue 16.2)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from dicomkit.core import errors
from dicomkit.testing.contract import exit_status, forked
from dicomkit.transports.support import ProcessLocal

fork_only = pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX only")


def test_built_once_and_closed_for_good() -> None:
    built: list[object] = []
    local = ProcessLocal("thing", lambda: built.append(object()) or built[-1])
    assert local.peek() is None
    first = local.get()
    assert local.get() is first
    assert built == [first]
    assert local.owned
    assert local.take() is first
    with pytest.raises(errors.TransportClosedError, match="thing is closed"):
        local.get()
    assert local.take() is None


def test_a_callers_value_is_never_ours_to_close() -> None:
    given = object()
    local = ProcessLocal("session", None, given)
    assert local.get() is given
    assert not local.owned
    assert local.take() is None


@fork_only
def test_a_child_builds_its_own_and_drops_the_inherited(tmp_path: Path) -> None:
    local = ProcessLocal("pool", lambda: [os.getpid()])
    parents = local.get()

    def child() -> None:
        assert local.peek() is None  # the parent's is never handed out
        mine = local.get()
        assert mine is not parents
        assert mine == [os.getpid()]
        assert local.take() is mine  # the child closes what it opened, nothing else

    assert exit_status(forked(child)) == 0
    assert local.get() is parents


@fork_only
def test_a_callers_value_is_refused_in_a_child() -> None:
    local = ProcessLocal("requests.Session", None, object())
    local.get()

    def child() -> None:
        with pytest.raises(errors.TransportClosedError, match="forked from it"):
            local.get()
        assert local.take() is None

    assert exit_status(forked(child)) == 0


@fork_only
def test_a_lock_held_by_a_parents_thread_at_fork_cannot_hang_the_child() -> None:
    local = ProcessLocal("pool", object)
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with local._lock:
            holding.set()
            release.wait(30)

    thread = threading.Thread(target=hold)
    thread.start()
    holding.wait(30)
    try:
        pid = forked(local.get)
    finally:
        release.set()
        thread.join()
    assert exit_status(pid, seconds=30) == 0
