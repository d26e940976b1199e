"""``dicomkit download --durable``: the job is journaled durable, its files carry SHA-256
digests, and a resume keeps the choice; without it, no digest is computed."""

from __future__ import annotations

import hashlib
from pathlib import Path

from dicomkit import DicomClient
from dicomkit.jobs import open_job
from dicomkit.testing.data import make_study

from .conftest import Dicomkit, Server, ok


def test_durable_is_journaled_and_kept_on_resume(
    dk: Dicomkit, server: Server, tmp_path: Path
) -> None:
    datasets = make_study(4, n_series=2, pixel_bytes=10_000, patient_id="CLI-DURABLE")
    with DicomClient(server.url) as client:
        client.store_instances(datasets)
    study = str(datasets[0].StudyInstanceUID)

    plain, durable = tmp_path / "plain", tmp_path / "durable"
    ok(dk("download", study, "--out", str(plain), "--url", server.url, "--quiet"))
    ok(dk("download", study, "--durable", "--out", str(durable), "--url", server.url, "--quiet"))
    journals = {}
    for journal in dk.jobs():
        with open_job(journal) as job:
            out = Path(job.journal.meta("out_dir") or "")
            digests = {item.sop: item.sha256 for item in job.journal.items()}
            is_durable = job.durable
        journals[out.name] = journal
        assert is_durable == (out == durable)
        files = {p.stem: p for p in out.rglob("*.dcm")}
        assert sorted(files) == sorted(digests)
        if is_durable:
            assert digests == {
                sop: hashlib.sha256(path.read_bytes()).hexdigest() for sop, path in files.items()
            }
        else:
            assert set(digests.values()) == {None}
    assert sorted(journals) == ["durable", "plain"]

    # A file deleted since: the resumed job fetches it again and stays durable.
    next(durable.rglob("*.dcm")).unlink()
    ok(dk("jobs", "resume", journals["durable"].stem, "--quiet"))
    with open_job(journals["durable"]) as job:
        assert job.durable
        assert job.status().counts == {"written": 4}
    assert len(list(durable.rglob("*.dcm"))) == 4
