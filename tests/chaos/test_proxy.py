"""The fault proxy itself: each fault does to a client what its name says, a seed replays a run,
and the chaos checks do fail on what they look for. Also the one misreport found so far."""

from __future__ import annotations

import contextlib
import socket
from pathlib import Path
from typing import Any

import pytest
from dicomkit_server import FaultProxy
from dicomkit_server._proxy import KINDS

from dicomkit import DicomClient
from dicomkit.core.errors import (
    ConnectionLostError,
    HTTPError,
    ReadTimeout,
    ServiceUnavailableError,
    StoreError,
)
from dicomkit.core.held import NOT_ON_SERVER, NOT_YET
from dicomkit.testing.data import make_study, write_instances
from tests.chaos._harness import ChaosRun, _check_store, open_handles

EXPECTED = {
    "pass": None,
    "drip": None,
    "status_503": ServiceUnavailableError,
    "stall_request": ReadTimeout,
    "stall_response": ReadTimeout,
    "reset_request": ConnectionLostError,
    "reset_response": ConnectionLostError,
    "truncate": ConnectionLostError,
}


def _through(server: Any, proxy: FaultProxy) -> str:
    return proxy.url + server.state.prefix


def _upstream(server: Any) -> tuple[str, int]:
    return ("127.0.0.1", server.port)


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_each_fault_reaches_the_client_as_its_dicomkit_error(
    dicomweb_server: Any, kind: str
) -> None:
    server = dicomweb_server.server
    with (
        FaultProxy(_upstream(server), script=[kind], weights={"pass": 1}, stall=30) as proxy,
        DicomClient(_through(server, proxy), timeout=(1, 0.5), retry=False) as client,
    ):
        expected = EXPECTED[kind]
        if expected is None:
            assert client.search_for_studies() == []
        else:
            with pytest.raises(expected):
                client.search_for_studies()
    assert [entry.kind for entry in proxy.log] == [kind]


@pytest.mark.parametrize("kind", ["status_503", "stall_request", "reset_request"])
def test_a_request_the_server_never_saw_whole_stores_nothing(
    dicomweb_server: Any, kind: str, tmp_path: Path
) -> None:
    server = dicomweb_server.server
    paths = write_instances(tmp_path, make_study(2, rows=8, cols=8))
    with (
        FaultProxy(_upstream(server), script=[kind], weights={"pass": 1}, stall=30) as proxy,
        DicomClient(_through(server, proxy), timeout=(1, 0.5), retry=False) as client,
        pytest.raises((HTTPError, StoreError)) as raised,
    ):
        client.store_instances(paths)
    if isinstance(raised.value, StoreError):  # a break is settled by asking the server
        assert {f.reason for f in raised.value.result.failed} <= {NOT_ON_SERVER, NOT_YET}
        assert len(raised.value.result.failed) == 2
    with DicomClient(server.url) as truth:
        assert truth.search_for_instances() == []


def test_a_seed_replays_the_same_faults_in_the_same_order(dicomweb_server: Any) -> None:
    runs = []
    for _ in range(2):
        with FaultProxy(_upstream(dicomweb_server.server), seed=99, stall=0.2) as proxy:
            for _ in range(12):
                with socket.create_connection(("127.0.0.1", proxy.port)) as sock:
                    sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                    sock.settimeout(5)
                    with contextlib.suppress(OSError):
                        while sock.recv(65536):
                            pass
        runs.append([(entry.kind, entry.fraction) for entry in proxy.log])
    assert runs[0] == runs[1]
    assert len({kind for kind, _ in runs[0]}) > 3


def test_unknown_fault_kinds_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown fault kinds"):
        FaultProxy(("127.0.0.1", 1), weights={"explode": 1})
    assert "pass" in KINDS


def test_the_checks_catch_a_failure_reported_for_a_stored_file() -> None:
    run = ChaosRun()
    refused = ServiceUnavailableError(503, "refused")
    _check_store(run, refused, {"1.2": None}, {"1.2": 1})
    assert run.violations
    assert "HTTP 503" in run.violations[0]


def test_the_leak_check_sees_a_socket_left_open(dicomweb_server: Any, tmp_path: Path) -> None:
    with FaultProxy(_upstream(dicomweb_server.server), weights={"pass": 1}) as proxy:
        sock = socket.create_connection(("127.0.0.1", proxy.port))
        try:
            assert open_handles(proxy.port, tmp_path) != []
        finally:
            sock.close()
        assert open_handles(proxy.port, tmp_path) == []
    handle = (tmp_path / "open.dcm").open("wb")
    try:
        assert open_handles(proxy.port, tmp_path) != []
    finally:
        handle.close()


@pytest.mark.parametrize("backend", ["requests", "urllib3", "httpx", "stdlib"])
def test_folder_upload_never_reports_failed_what_the_server_stored(
    dicomweb_server: Any, backend: str, tmp_path: Path
) -> None:
    server = dicomweb_server.server
    study = make_study(2, rows=8, cols=8)
    write_instances(tmp_path, study)
    with (
        FaultProxy(_upstream(server), script=["reset_response"], weights={"pass": 1}) as proxy,
        DicomClient(_through(server, proxy), transport=backend, timeout=(1, 0.5)) as client,
    ):
        report = client.upload_dicom_folder(tmp_path)
    with DicomClient(server.url) as truth:
        held = {item["00080018"]["Value"][0] for item in truth.search_for_instances()}
    assert len(held) == 2
    wrongly_failed = [path.name for path in report.failed if path.stem in held]
    assert wrongly_failed == []


def test_the_plugin_fixture_puts_a_proxy_in_front_of_the_server(
    dicomweb_fault_proxy: FaultProxy,
) -> None:
    with DicomClient(dicomweb_fault_proxy.url, timeout=(1, 0.5), retry=False) as client:
        assert client.search_for_studies() == []
        dicomweb_fault_proxy.inject("reset_response")
        with pytest.raises(ConnectionLostError):
            client.search_for_studies()
    assert [entry.kind for entry in dicomweb_fault_proxy.log] == ["pass", "reset_response"]
    with pytest.raises(ValueError, match="unknown fault kinds"):
        dicomweb_fault_proxy.inject("explode")


def test_in_front_of_needs_an_http_url_with_a_port() -> None:
    with pytest.raises(ValueError, match="http://host:port"):
        FaultProxy.in_front_of("https://example.org/dicom-web")
