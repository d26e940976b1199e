"""The invariants of docs/reliability.md under TCP faults, for every backend of both clients,
against the reference server and Orthanc (see tests/chaos/_harness.py for what is checked)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dicomkit_server.orthanc import OrthancServer

from tests.chaos._harness import ChaosSettings, run_chaos, summary


def _check(label: str, run: Any, settings: ChaosSettings) -> None:
    print(summary(label, run, settings))
    assert run.requests >= settings.rounds, "the proxy saw fewer connections than rounds"
    assert not run.violations, "\n".join(run.violations)


def test_reference_server_under_tcp_faults(
    dicomweb_server: Any,
    chaos_client: tuple[str, str],
    chaos_settings: ChaosSettings,
    tmp_path: Path,
) -> None:
    kind, backend = chaos_client
    server = dicomweb_server.server
    run = run_chaos(
        asynchronous=kind == "async",
        backend=backend,
        server_url=server.url,
        upstream=("127.0.0.1", server.port),
        path_prefix=server.state.prefix,
        folder=tmp_path,
        settings=chaos_settings,
    )
    _check(f"reference {kind}-{backend}", run, chaos_settings)


def test_orthanc_under_tcp_faults(
    orthanc: OrthancServer,
    chaos_client: tuple[str, str],
    chaos_settings: ChaosSettings,
    tmp_path: Path,
) -> None:
    kind, backend = chaos_client
    run = run_chaos(
        asynchronous=kind == "async",
        backend=backend,
        server_url=orthanc.url,
        upstream=("127.0.0.1", orthanc.port),
        path_prefix=orthanc.url[len(orthanc.base_url) :],
        folder=tmp_path,
        settings=chaos_settings,
    )
    _check(f"orthanc {kind}-{backend}", run, chaos_settings)
