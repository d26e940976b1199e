"""``dicomkit jobs resume --verify`` as real processes against the reference server.

A written file changed in place, keeping its size, passes the size check every resume makes;
only ``--verify`` (reading the file back against the SHA-256 a durable job journaled) catches
it and fetches it again. Where nothing can be verified the command says so: an upload job is a
usage error, and a download made without ``--durable`` is checked by size with one warning.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dicomkit import DicomClient
from dicomkit.testing.data import make_study, write_instances

from .conftest import Dicomkit, ok

_WARNING = "verify checks their sizes only"


def _stored_study(url: str, patient: str) -> str:
    datasets = make_study(3, n_series=1, pixel_bytes=8_000, patient_id=patient)
    with DicomClient(url) as client:
        client.store_instances(datasets)
    return str(datasets[0].StudyInstanceUID)


def _server_bytes(url: str, path: Path) -> bytes:
    """The instance's bytes as the server sends them (``path`` is OUT/STUDY/SERIES/SOP.dcm)."""
    uids = (path.parent.parent.name, path.parent.name, path.stem)
    with DicomClient(url) as client:
        return b"".join(body for _, body in client.iter_parts(*uids))


def _tamper(path: Path) -> bytes:
    """Flip the file's last byte (pixel data): same size, other bytes. The original back."""
    original = path.read_bytes()
    path.write_bytes(original[:-1] + bytes([original[-1] ^ 0xFF]))
    assert path.stat().st_size == len(original)
    return original


def _resume(dk: Dicomkit, journal: Path, *extra: str) -> tuple[dict[str, Any], str]:
    result = dk("jobs", "resume", journal.stem, "--json", *extra)
    return json.loads(ok(result)), result.stderr


def test_verify_fetches_again_a_file_changed_in_place(
    dk: Dicomkit, dicomweb_server: Any, tmp_path: Path
) -> None:
    url = str(dicomweb_server.url)
    study = _stored_study(url, "CLI-VERIFY")
    out = tmp_path / "out"
    ok(dk("download", study, "--durable", "--out", str(out), "--url", url, "--quiet"))
    (journal,) = dk.jobs()
    changed = sorted(out.rglob("*.dcm"))[1]
    original = _tamper(changed)
    assert original == _server_bytes(url, changed)

    report, _ = _resume(dk, journal)  # sizes only: the change goes unseen
    assert (report["moved_instances"], report["counts"]) == (0, {"written": 3})
    assert changed.read_bytes() != original

    report, err = _resume(dk, journal, "--verify")
    assert (report["moved_instances"], report["counts"]) == (1, {"written": 3}), err
    assert _WARNING not in err
    assert changed.read_bytes() == _server_bytes(url, changed)

    report, _ = _resume(dk, journal, "--verify")  # every file matches its digest now
    assert report["moved_instances"] == 0


def test_verify_without_durable_checks_sizes_and_says_so_once(
    dk: Dicomkit, dicomweb_server: Any, tmp_path: Path
) -> None:
    url = str(dicomweb_server.url)
    study = _stored_study(url, "CLI-VERIFY-PLAIN")
    out = tmp_path / "out"
    ok(dk("download", study, "--out", str(out), "--url", url, "--quiet"))
    (journal,) = dk.jobs()
    changed = sorted(out.rglob("*.dcm"))[0]
    original = _tamper(changed)

    report, err = _resume(dk, journal, "--verify")
    assert report["moved_instances"] == 0
    assert changed.read_bytes() != original  # no digest to catch it: the user was told
    assert err.count(_WARNING) == 1, err
    line = f"dicomkit: warning: job {journal.stem} was created without durable=True (--durable)"
    assert line in err, err  # the library's VerifyWarning, in the command's one-line form

    quiet = dk("jobs", "resume", journal.stem, "--verify", "--quiet")
    assert ok(quiet) == ""
    assert quiet.stderr.count(_WARNING) == 1, quiet.stderr  # even --quiet: asked, not done

    changed.write_bytes(original[:-1])  # a size check still catches a shorter file
    report, _ = _resume(dk, journal, "--verify")
    assert report["moved_instances"] == 1
    assert changed.read_bytes() == original


def test_verify_is_refused_where_it_cannot_verify(
    dk: Dicomkit, dicomweb_server: Any, tmp_path: Path
) -> None:
    url = str(dicomweb_server.url)
    folder = tmp_path / "src"
    write_instances(folder, make_study(2, patient_id="CLI-VERIFY-UP"))
    ok(dk("upload", str(folder), "--url", url, "--quiet"))
    (upload,) = dk.jobs()
    refused = dk("jobs", "resume", upload.stem, "--verify")
    assert refused.returncode == 2, refused.stderr
    assert "--verify checks the files a download wrote" in refused.stderr
    assert "upload job" in refused.stderr

    study = _stored_study(url, "CLI-VERIFY-CLUSTER")
    ok(dk("download", study, "--durable", "--out", str(tmp_path / "out"), "--url", url, "-q"))
    (download,) = (path for path in dk.jobs() if path != upload)
    on_cluster = dk("jobs", "resume", download.stem, "--verify", "--cluster", "local:1")
    assert on_cluster.returncode == 2, on_cluster.stderr
    assert "--verify with --cluster" in on_cluster.stderr

    assert dk("upload", str(folder), "--verify", "--url", url).returncode == 2  # no such option


def test_the_resume_hint_keeps_verify() -> None:
    """A run stopped midway tells the command that resumes it the same way."""
    import argparse

    from dicomkit.commands._transfer import resume_command

    args = argparse.Namespace(url="http://h/dicom-web", workers=2, verify=True)
    hint = "dicomkit --url http://h/dicom-web jobs resume j.dicomkit-job --workers 2 --verify"
    assert resume_command(args, "j.dicomkit-job") == hint
    args.verify = False
    assert not resume_command(args, "j.dicomkit-job").endswith("--verify")
