"""OrthancServer itself: configuration, the namespace guard, readiness and shutdown.

Most tests use a fake Orthanc (a shell script) and a dummy HTTP server on 127.0.0.1, so the
readiness rules are proven on any machine; the last ones need the real Orthanc.
"""

from __future__ import annotations

import http.server
import json
import socket
import stat
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from dicomkit_server import orthanc as orthanc_module
from dicomkit_server.orthanc import (
    ALLOW_PUBLIC_ENV,
    DICOMWEB_PLUGIN,
    STARTED_LINE,
    OrthancError,
    OrthancServer,
)

from tests._support import orthanc_fixtures as _orthanc_fixtures

Serve = Callable[[str], int]


def test_config_without_users_disables_authentication(tmp_path: Path) -> None:
    config = OrthancServer(tmp_path, port=18123).config()
    assert config["AuthenticationEnabled"] is False
    assert config["RegisteredUsers"] == {}
    assert config["HttpPort"] == 18123
    assert config["DicomServerEnabled"] is False
    assert config["RemoteAccessAllowed"] is False
    assert config["Plugins"] == [DICOMWEB_PLUGIN]
    assert config["DicomWeb"]["Enable"] is True
    assert config["DicomWeb"]["Root"] == "/dicom-web/"
    assert config["DicomWeb"]["Host"] == "127.0.0.1:18123"
    assert config["StorageDirectory"].startswith(str(tmp_path))
    assert config["IndexDirectory"].startswith(str(tmp_path))


def test_config_with_users_enables_basic_auth(tmp_path: Path) -> None:
    server = OrthancServer(tmp_path, users={"bob": "secret"}, port=18124)
    config = server.config()
    assert config["AuthenticationEnabled"] is True
    assert config["RegisteredUsers"] == {"bob": "secret"}
    assert server.auth_header() == {"Authorization": "Basic Ym9iOnNlY3JldA=="}
    assert (server.base_url, server.url) == (
        "http://127.0.0.1:18124",
        "http://127.0.0.1:18124/dicom-web",
    )


def test_loopback_is_never_a_public_interface() -> None:
    names = {name for _, name in socket.if_nameindex()}
    public = orthanc_module.public_interfaces()
    assert "lo" not in public
    assert set(public) <= names


def test_guard_refuses_a_shared_network_and_says_how_to_run(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(ALLOW_PUBLIC_ENV, raising=False)
    monkeypatch.setattr(orthanc_module, "public_interfaces", lambda: ["eth0"])
    message = orthanc_module.namespace_refusal()
    assert message is not None
    assert "eth0" in message
    assert "unshare --net" in message
    assert ALLOW_PUBLIC_ENV in message
    with pytest.raises(OrthancError, match="refusing to start Orthanc"):
        OrthancServer(tmp_path, binary="/bin/sh", plugin=__file__).start()
    monkeypatch.setenv(ALLOW_PUBLIC_ENV, "1")
    assert orthanc_module.namespace_refusal() is None


def test_guard_accepts_a_loopback_only_namespace(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ALLOW_PUBLIC_ENV, raising=False)
    monkeypatch.setattr(orthanc_module, "public_interfaces", lambda: [])
    assert orthanc_module.namespace_refusal() is None


def test_missing_binary_is_reported_with_an_install_hint(tmp_path: Path) -> None:
    reason = orthanc_module.orthanc_missing_reason(str(tmp_path / "Orthanc"), __file__)
    assert reason is not None
    assert "apt-get install" in reason
    assert not orthanc_module.orthanc_available(str(tmp_path / "Orthanc"), __file__)
    assert orthanc_module.orthanc_missing_reason("/bin/sh", str(tmp_path / "plugin.so")) is not None


@pytest.mark.parametrize(
    ("ci", "outcome"), [("true", pytest.fail.Exception), ("", pytest.skip.Exception)]
)
def test_fixtures_skip_locally_but_fail_under_ci(
    monkeypatch: pytest.MonkeyPatch, ci: str, outcome: type[BaseException]
) -> None:
    monkeypatch.setenv("CI", ci)
    monkeypatch.setattr(_orthanc_fixtures, "orthanc_missing_reason", lambda: "Orthanc is gone")
    with pytest.raises(outcome, match="Orthanc is gone"):
        _orthanc_fixtures.require_orthanc()


# --- readiness, with a fake Orthanc -------------------------------------------------------------


@pytest.fixture
def fake_orthanc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], str]:
    """Write a shell script standing in for Orthanc; the fake never listens anywhere."""
    monkeypatch.setenv(ALLOW_PUBLIC_ENV, "1")

    def write(script: str) -> str:
        path = tmp_path / "fake-orthanc"
        path.write_text("#!/bin/sh\n" + script + "\n")
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
        return str(path)

    return write


@pytest.fixture
def serve_system() -> Iterator[Serve]:
    """Answer ``GET /system`` on 127.0.0.1 with a given Orthanc name, like an old server would."""
    servers: list[http.server.HTTPServer] = []

    def serve(name: str) -> int:
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = json.dumps({"Name": name}).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return int(server.server_address[1])

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


FakeServer = Callable[..., OrthancServer]


@pytest.fixture
def fake_server(
    tmp_path: Path, fake_orthanc: Callable[[str], str], serve_system: Serve
) -> FakeServer:
    """An OrthancServer named ``dicomkit-fake`` whose binary runs ``script`` and whose port
    answers ``GET /system`` with the name ``answered_as``."""

    def build(script: str, answered_as: str = "dicomkit-fake", **options: Any) -> OrthancServer:
        port = serve_system(answered_as)
        binary = fake_orthanc(script)
        workdir = tmp_path / "w"
        return OrthancServer(
            workdir, binary=binary, plugin=__file__, port=port, name="dicomkit-fake", **options
        )

    return build


def test_a_fake_that_logs_started_and_answers_with_our_name_is_ready(
    tmp_path: Path, fake_server: FakeServer
) -> None:
    server = fake_server(f"echo '{STARTED_LINE}'\nexec sleep 60")
    with server:
        assert server.running
        process = server._process
        assert (tmp_path / "w" / "orthanc.json").is_file()
        server.terminate()  # signalled now, reaped by stop() on exit
        server.terminate()
    assert not server.running
    assert process is not None
    assert process.returncode == -15  # stopped by SIGTERM


def test_an_old_server_on_the_port_is_not_mistaken_for_ours(fake_server: FakeServer) -> None:
    script = f"echo '{STARTED_LINE}'\nexec sleep 60"
    server = fake_server(script, answered_as="some-older-orthanc", startup_timeout=1)
    with pytest.raises(OrthancError, match="another server"):
        server.start()
    assert not server.running


def test_readiness_needs_the_started_line_in_our_own_log(fake_server: FakeServer) -> None:
    server = fake_server("echo 'still loading'\nexec sleep 60", startup_timeout=1)
    with pytest.raises(OrthancError, match=STARTED_LINE) as caught:
        server.start()
    assert "still loading" in str(caught.value)
    assert not server.running


def test_a_process_that_dies_is_reported_with_its_log_tail(
    tmp_path: Path, fake_orthanc: Callable[[str], str]
) -> None:
    binary = fake_orthanc("echo 'E: cannot open the database' >&2\nexit 3")
    server = OrthancServer(tmp_path, binary=binary, plugin=__file__, startup_timeout=5)
    with pytest.raises(OrthancError, match="exited") as caught:
        server.start()
    assert "cannot open the database" in str(caught.value)


def test_a_process_that_ignores_sigterm_is_killed(fake_server: FakeServer) -> None:
    script = f"trap '' TERM\necho '{STARTED_LINE}'\nwhile :; do sleep 0.05; done"
    server = fake_server(script, stop_timeout=0.3)
    server.start()
    process = server._process
    assert process is not None
    server.stop()
    assert process.returncode is not None
    assert process.returncode < 0


# --- the real Orthanc ---------------------------------------------------------------------------


def test_orthanc_exits_when_its_port_is_taken(tmp_path: Path, serve_system: Serve) -> None:
    _orthanc_fixtures.require_orthanc()
    port = serve_system("squatter")
    server = OrthancServer(tmp_path, port=port, startup_timeout=20)
    with pytest.raises(OrthancError) as caught:
        server.start()
    assert not server.running
    assert "last" in str(caught.value)


def test_real_orthanc_starts_serves_and_stops(tmp_path: Path) -> None:
    _orthanc_fixtures.require_orthanc()
    with OrthancServer(tmp_path) as server:
        status, _, body = server.request("GET", "/dicom-web/studies")
        assert (status, json.loads(body)) == (200, [])
        assert STARTED_LINE in server.log_text()
        process = server._process
    assert process is not None
    assert process.returncode == 0
    assert "Orthanc has stopped" in server.log_text()
