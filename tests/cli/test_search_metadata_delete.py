"""search, metadata and delete as real processes against the reference server and Orthanc."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from dicomkit import DicomClient
from dicomkit.testing.data import make_study
from tests._support.python import run_python

from .conftest import Dicomkit, Server, lines, ok


def _store(server: Server, patient: str, n: int = 3, **kw: object) -> str:
    study = make_study(n, n_series=2, patient_id=patient, **kw)
    with DicomClient(server.url) as client:
        client.store_instances(study)
    return str(study[0].StudyInstanceUID)


def test_search_prints_every_format(dk: Dicomkit, server: Server) -> None:
    first = _store(server, "CLI-A", study_date="20240105")
    _store(server, "CLI-B", study_date="20231231")

    table = ok(dk("search", "studies", "--url", server.url))
    header, rule, *rows = lines(table)
    assert header.split()[:3] == ["StudyInstanceUID", "PatientID", "PatientName"]
    assert set(rule) <= {"-", " "}
    assert len(rows) == 2

    # the shared options work after the command's name as well as before it
    found = ok(
        dk(
            "--url",
            server.url,
            "search",
            "studies",
            "--where",
            "PatientID=CLI-A",
            "--format",
            "csv",
        )
    )
    records = list(csv.DictReader(io.StringIO(found)))
    assert [row["StudyInstanceUID"] for row in records] == [first]
    assert records[0]["PatientName"] == "Doe^Jane"

    dated = ok(
        dk(
            "search",
            "studies",
            "--url",
            server.url,
            "--where",
            "StudyDate=20240101-20240131",
            "--json",
        )
    )
    assert [row["0020000D"]["Value"][0] for row in json.loads(dated)] == [first]

    series = ok(
        dk(
            "search",
            "series",
            "--study",
            first,
            "--url",
            server.url,
            "--format",
            "jsonl",
            "--fields",
            "SeriesDescription",
        )
    )
    rows_jsonl = [json.loads(line) for line in lines(series)]
    assert len(rows_jsonl) == 2
    assert all(row["0008103E"]["Value"] == ["dicomkit test series"] for row in rows_jsonl)


def test_search_limit_and_instances(dk: Dicomkit, server: Server) -> None:
    study = _store(server, "CLI-LIMIT", n=5)
    out = ok(
        dk(
            "search",
            "instances",
            "--study",
            study,
            "--limit",
            "2",
            "--format",
            "csv",
            "--url",
            server.url,
        )
    )
    assert len(lines(out)) == 1 + 2
    everything = ok(
        dk("search", "instances", "--study", study, "--format", "csv", "--url", server.url)
    )
    assert len(lines(everything)) == 1 + 5


def test_verbosity(dk: Dicomkit, server: Server) -> None:
    _store(server, "CLI-V", n=1)
    plain = dk("search", "studies", "--url", server.url)
    assert "dicomkit.http" not in plain.stderr
    assert "1 result(s)" in plain.stderr
    verbose = dk("search", "studies", "--url", server.url, "-v")
    assert "dicomkit.http: GET " in verbose.stderr
    assert "urllib3" not in verbose.stderr
    library = dk("-vv", "search", "studies", "--url", server.url, "--transport", "urllib3")
    assert "urllib3" in library.stderr  # -vv: the records of an HTTP library that logs
    quiet = dk("search", "studies", "--url", server.url, "--quiet")
    assert quiet.stderr == ""
    assert "CLI-V" in quiet.stdout


@pytest.mark.parametrize("transport", ["stdlib", "requests", "urllib3", "httpx"])
def test_search_through_each_blocking_backend(dk: Dicomkit, server: Server, transport: str) -> None:
    study = _store(server, "CLI-T", n=1)
    out = ok(
        dk("search", "studies", "--format", "csv", "--url", server.url, "--transport", transport)
    )
    assert study in out


def test_metadata_of_study_series_and_instance(dk: Dicomkit, server: Server) -> None:
    study = make_study(2, n_series=1, patient_id="CLI-M")
    with DicomClient(server.url) as client:
        client.store_instances(study)
    uids = [
        str(study[0].StudyInstanceUID),
        str(study[0].SeriesInstanceUID),
        str(study[0].SOPInstanceUID),
    ]
    whole = json.loads(ok(dk("metadata", uids[0], "--url", server.url)))
    assert len(whole) == 2
    assert {item["00100020"]["Value"][0] for item in whole} == {"CLI-M"}
    per_line = lines(ok(dk("metadata", *uids[:2], "--url", server.url, "--format", "jsonl")))
    assert len(per_line) == 2
    one = json.loads(ok(dk("metadata", *uids, "--url", server.url)))
    assert one[0]["00080018"]["Value"] == [uids[2]]


def test_metadata_of_a_missing_study_is_a_server_failure(dk: Dicomkit, server: Server) -> None:
    result = dk("metadata", "1.2.3.4.5.6.7", "--url", server.url)
    assert result.returncode == 4
    assert "404" in result.stderr
    assert "Traceback" not in result.stderr


def test_delete_asks_first_and_deletes_with_yes(dk: Dicomkit, server: Server) -> None:
    study = _store(server, "CLI-DEL", n=1)
    refused = dk("delete", study, "--url", server.url)  # stdin is no terminal: nobody to ask
    assert refused.returncode == 2
    assert "not deleted" in refused.stderr
    assert study in ok(dk("search", "studies", "--format", "csv", "--url", server.url))

    deleted = dk("delete", study, "--yes", "--url", server.url)
    if not server.deletes:  # Orthanc has no DICOMweb DELETE: a server failure, said plainly
        assert deleted.returncode == 4
        assert "405" in deleted.stderr
        return
    assert ok(deleted).strip() == f"deleted study {study}"
    assert study not in ok(dk("search", "studies", "--format", "csv", "--url", server.url))


def test_delete_checks_the_uid_before_asking(dk: Dicomkit, server: Server) -> None:
    result = dk("delete", "not-a-uid", "--yes", "--url", server.url)
    assert result.returncode == 2
    assert "STUDY" in result.stderr


def test_search_errors_are_usage_errors_before_any_request(dk: Dicomkit, tmp_path: Path) -> None:
    unused = "http://127.0.0.1:9"  # nothing listens: a request would be a network failure (4)
    for argv, message in [
        (["--where", "PatientID"], "must look like KEY=VALUE"),
        (["--where", "NoSuchKeyword=1"], "NoSuchKeyword"),
        (["--fields", "NoSuchKeyword"], "NoSuchKeyword"),
        (["--where", "PatientID=1", "--where", "PatientID=2"], "given twice"),
    ]:
        result = dk("search", "studies", "--url", unused, *argv)
        assert result.returncode == 2, (argv, result.stderr)
        assert message in result.stderr
    series = dk("search", "instances", "--series", "1.2.3", "--url", unused)
    assert series.returncode == 2
    assert "--series needs --study" in series.stderr


def test_a_person_name_search_with_the_orthanc_dialect(dk: Dicomkit, server: Server) -> None:
    study = _store(server, "CLI-PN", n=1)
    argv = ["search", "studies", "--where", "PatientName=Doe^Jane", "--format", "csv"]
    dialect = "orthanc" if server.name == "orthanc" else "standard"
    assert study in ok(dk(*argv, "--url", server.url, "--dialect", dialect))
    wrong = dk(*argv, "--url", server.url, "--dialect", "no-such-server")
    assert wrong.returncode == 2
    assert "dialect must be" in wrong.stderr


def test_by_default_other_libraries_warnings_are_not_shown() -> None:
    """A pydicom warning about an odd UID is noise in a transfer's output; -v shows it."""
    levels = []
    for verbose in (0, 1):
        code = (
            "import argparse, logging; from dicomkit.cli._globals import setup; "
            f"setup(argparse.Namespace(verbose={verbose})); "
            "print(logging.getLogger('dicomkit').getEffectiveLevel(), "
            "logging.getLogger('pydicom').getEffectiveLevel())"
        )
        result = run_python("-c", code)
        levels.append(result.stdout.split())
    assert levels == [["30", "40"], ["10", "30"]]
