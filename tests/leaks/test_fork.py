"""Fork safety, client level (issue 16.2): a client used before ``os.fork()`` is safe in the
child on every backend. 8 workers forked from a used client each retrieve the study 5 times and
compare every byte; the parent's client keeps working after them."""

from __future__ import annotations

import asyncio
import hashlib
import os
from pathlib import Path
from typing import Any

import pytest

from dicomkit import AsyncDicomClient, DicomClient
from dicomkit.core import errors
from dicomkit.testing.contract import exit_status, forked
from dicomkit.testing.data import dataset_bytes, make_study
from dicomkit.transports import RequestsTransport
from tests._support.ci import require_module
from tests.client.conftest import backend_names

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX only")

WORKERS = 8
RETRIEVALS = 5


def _digests(parts: list[bytes]) -> list[str]:
    return sorted(hashlib.sha256(part).hexdigest() for part in parts)


@pytest.fixture
def study(dicomweb_server: Any) -> tuple[str, list[str]]:
    """A stored study of 4 instances and the digests of their Part 10 bytes."""
    datasets = make_study(4, pixel_bytes=200_000)
    with DicomClient(dicomweb_server.url, transport="urllib3") as client:
        client.store_instances(datasets)
    return str(datasets[0].StudyInstanceUID), _digests([dataset_bytes(ds) for ds in datasets])


def _check(parts: list[bytes], expected: list[str]) -> None:
    if _digests(parts) != expected:
        raise AssertionError(f"{len(parts)} parts, not the stored bytes")


@pytest.mark.parametrize("backend", backend_names(asynchronous=False))
def test_sync_client_is_safe_across_fork(
    dicomweb_server: Any, study: tuple[str, list[str]], backend: str
) -> None:
    uid, expected = study

    def retrieve(client: DicomClient) -> None:
        _check([body for _, body in client.iter_parts(uid)], expected)

    with DicomClient(dicomweb_server.url, transport=backend, retry=False) as client:
        retrieve(client)  # the parent holds a keep-alive connection now

        def worker() -> None:
            for _ in range(RETRIEVALS):
                retrieve(client)

        pids = [forked(worker) for _ in range(WORKERS)]
        assert [exit_status(pid) for pid in pids] == [0] * WORKERS
        retrieve(client)


@pytest.mark.parametrize("backend", backend_names(asynchronous=True))
def test_async_client_is_safe_across_fork(
    dicomweb_server: Any, study: tuple[str, list[str]], backend: str
) -> None:
    """Fork outside a running loop; each child runs a loop of its own, and the transport opens
    a session there (the parent's, bound to the parent's loop, is never touched)."""
    uid, expected = study
    client = AsyncDicomClient(dicomweb_server.url, transport=backend, retry=False)

    async def retrieve(times: int) -> None:
        for _ in range(times):
            _check([body async for _, body in client.iter_parts(uid)], expected)

    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(retrieve(1))
        pids = [forked(lambda: asyncio.run(retrieve(RETRIEVALS))) for _ in range(WORKERS)]
        assert [exit_status(pid) for pid in pids] == [0] * WORKERS
        loop.run_until_complete(retrieve(1))
    finally:
        loop.run_until_complete(client.close())
        loop.close()


def test_a_callers_session_is_refused_in_the_child(
    dicomweb_server: Any, tmp_path: Path, study: tuple[str, list[str]]
) -> None:
    """dicomkit cannot rebuild a session it was given: the child is told to bring its own."""
    import requests

    uid, _ = study
    report = tmp_path / "child.txt"
    with requests.Session() as session:
        transport = RequestsTransport(session=session)
        with DicomClient(dicomweb_server.url, transport=transport, retry=False) as client:
            client.search_for_studies()

            def child() -> None:
                try:
                    client.search_for_studies()
                except errors.TransportClosedError as error:
                    report.write_text(str(error))
                    return
                raise AssertionError("the parent's session was used in the child")

            assert exit_status(forked(child)) == 0
            assert len(client.search_for_series(uid)) == 1
    assert "forked" in report.read_text()
    assert "of its own" in report.read_text()


def test_a_callers_aiohttp_session_is_refused_in_the_child(
    dicomweb_server: Any, tmp_path: Path
) -> None:
    """The async rule: dicomkit rebuilds the sessions it opened, never the caller's."""
    aiohttp = require_module("aiohttp")
    from dicomkit_aiohttp import AiohttpTransport

    report = tmp_path / "child.txt"

    async def parent() -> tuple[AsyncDicomClient, Any]:
        session = aiohttp.ClientSession()
        client = AsyncDicomClient(dicomweb_server.url, transport=AiohttpTransport(session=session))
        await client.search_for_studies()
        return client, session

    loop = asyncio.new_event_loop()
    client, session = loop.run_until_complete(parent())

    async def child() -> None:
        try:
            await client.search_for_studies()
        except errors.TransportClosedError as error:
            report.write_text(str(error))
            return
        raise AssertionError("the parent's aiohttp session was used in the child")

    try:
        assert exit_status(forked(lambda: asyncio.run(child()))) == 0
        assert "forked" in report.read_text()
        assert loop.run_until_complete(client.search_for_studies()) == []
    finally:
        loop.run_until_complete(client.close())
        loop.run_until_complete(session.close())
        loop.close()
