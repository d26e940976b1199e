"""``dicomkit check``: the command prints the checker's table or JSON, with the credentials
given on the command line (Orthanc with basic auth)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from dicomkit_server.orthanc import OrthancServer

from dicomkit.cli import main
from tests.check.tables import ORTHANC, REFERENCE


def _rows(text: str) -> dict[str, str]:
    return {f"{r['area']}: {r['feature']}": r["verdict"] for r in json.loads(text)["rows"]}


def test_json_table_of_the_reference_server(
    dicomweb_server: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", dicomweb_server.url, "--write", "--json"]) == 0
    assert _rows(capsys.readouterr().out) == REFERENCE


def test_text_table_names_the_dialect(
    dicomweb_server: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", dicomweb_server.url]) == 0
    out = capsys.readouterr().out
    assert out.startswith("| area ")
    assert "dialect to use: standard" in out


def test_basic_auth_from_the_options(
    orthanc_with_auth: OrthancServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    user, password = next(iter((orthanc_with_auth.users or {}).items()))
    monkeypatch.setenv("DICOMWEB_PASSWORD", password)
    url = orthanc_with_auth.url
    assert main(["check", url, "--basic", user, "--write", "--json", "--transport", "urllib3"]) == 0
    assert _rows(capsys.readouterr().out) == ORTHANC


def test_without_credentials_the_rows_say_so(
    orthanc_with_auth: OrthancServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", orthanc_with_auth.url, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert rows[0]["evidence"].startswith("401")
    assert "credentials" in rows[0]["note"]
    changefeed = next(row for row in rows if row["feature"] == "change feed")
    assert changefeed["verdict"] == "not probed"
    assert changefeed["evidence"].startswith("401")


def test_no_url_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DICOMWEB_URL", raising=False)
    assert main(["check"]) == 2
    assert "URL" in capsys.readouterr().err
