"""A task's throwaway journals: disposable (no sync at all) and in the system's temporary
folder, which every system has, rather than in ``/dev/shm``, which macOS and Windows lack and
which may be small. The tasks run here, in this process, so that each journal they make can
be seen (its folder, its ``durable`` setting) and the folder can be checked empty after."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from conftest import SECRET, SECRET_VARIABLE
from dicomkit_dask._destination import Destination
from dicomkit_dask._work import download_task, upload_task
from test_dask_jobs import folder_contents, make_folder

from dicomkit import ClientConfig
from dicomkit.jobs import STORED, WRITTEN
from dicomkit.jobs._journal import Journal


@pytest.fixture(autouse=True)
def _worker_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a worker's environment gives it (before ``config`` reads it): no cluster here."""
    monkeypatch.setenv(SECRET_VARIABLE, SECRET)


def test_task_journals_are_disposable_and_in_the_temporary_folder(
    tmp_path: Path, config: ClientConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "temporary"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # tempfile.gettempdir()
    made: list[tuple[Path, bool]] = []
    create = Journal.create.__func__  # type: ignore[attr-defined]

    def recording(cls: type[Journal], path: Any, fill: Any, **options: Any) -> Journal:
        journal: Journal = create(cls, path, fill, **options)
        made.append((Path(path), journal.durable))
        return journal

    monkeypatch.setattr(Journal, "create", classmethod(recording))

    files = make_folder(tmp_path / "in", 3, series=1)
    paths = sorted(str(path) for path in (tmp_path / "in").rglob("*.dcm"))
    assert {outcome.state for outcome in upload_task(config, paths, None)} == {STORED}
    with config.client() as client:
        study = client.search_for_studies()[0]["0020000D"]["Value"][0]
        found = client.search_for_instances(study)
    instances = [
        (study, item["0020000E"]["Value"][0], item["00080018"]["Value"][0]) for item in found
    ]
    out = tmp_path / "out"
    outcomes = download_task(config, Destination.of(out), instances, False)  # a job each
    assert {outcome.state for outcome in outcomes} == {WRITTEN}
    assert folder_contents(out) == files

    assert len(made) == 1 + 3
    for path, durable in made:
        assert durable is False, path
        assert path.parent.parent == scratch
        assert path.parent.name.startswith("dicomkit-dask-")
    assert list(scratch.iterdir()) == []  # each task removed its folder
