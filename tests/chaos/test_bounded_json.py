"""JSON answers are bounded after decompression: a gzip bomb or an endless body ends in a
ProtocolError naming ``max_json_bytes``, with memory to spare, on every backend."""

from __future__ import annotations

import gzip
import pickle
import tracemalloc
from collections.abc import Iterator
from typing import Any

import pytest
from dicomkit_server._faults import endless_json_body, gzip_bomb_body

from dicomkit import AsyncDicomClient, DicomClient
from dicomkit.config import DEFAULT_MAX_JSON_BYTES
from dicomkit.core.errors import InvalidArgumentError, ProtocolError, StoreError
from dicomkit.core.interface import Request
from dicomkit.core.operations import MAX_JSON_BYTES, JsonArrayExchange, Step
from dicomkit.testing.data import make_instance

MiB = 1 << 20
SMALL_LIMIT = 4 * MiB


@pytest.fixture
def traced() -> Iterator[None]:
    tracemalloc.start()
    try:
        yield
    finally:
        tracemalloc.stop()


def _peak() -> int:
    return tracemalloc.get_traced_memory()[1]


def _script(server: Any, fault: str) -> None:
    """A 1 GiB gzip bomb (about 1 MB on the wire) or a body that never ends, for /studies."""
    if fault == "gzip_bomb":
        server.faults.add("/studies", gzip_bomb=1 << 30)
    else:
        server.faults.add("/studies", endless=True)


@pytest.mark.parametrize("fault", ["gzip_bomb", "endless"])
def test_a_runaway_json_answer_ends_in_protocol_error_sync(
    dicomweb_server: Any, sync_backend: str, fault: str, traced: None
) -> None:
    _script(dicomweb_server, fault)
    options = {"transport": sync_backend, "retry": False, "max_json_bytes": SMALL_LIMIT}
    with (
        DicomClient(dicomweb_server.url, **options) as client,
        pytest.raises(ProtocolError, match=f"max_json_bytes={SMALL_LIMIT}"),
    ):
        client.search_for_studies()
    assert _peak() < 256 * MiB


@pytest.mark.parametrize("fault", ["gzip_bomb", "endless"])
async def test_a_runaway_json_answer_ends_in_protocol_error_async(
    dicomweb_server: Any, async_backend: str, fault: str, traced: None
) -> None:
    _script(dicomweb_server, fault)
    options = {"transport": async_backend, "retry": False, "max_json_bytes": SMALL_LIMIT}
    async with AsyncDicomClient(dicomweb_server.url, **options) as client:
        with pytest.raises(ProtocolError, match=f"max_json_bytes={SMALL_LIMIT}"):
            await client.search_for_studies()
    assert _peak() < 256 * MiB


def test_the_default_limit_stops_a_4_gib_bomb_with_memory_to_spare(
    dicomweb_server: Any, traced: None
) -> None:
    dicomweb_server.faults.add("/studies", gzip_bomb=4 << 30)
    with (
        DicomClient(dicomweb_server.url, transport="urllib3", retry=False) as client,
        pytest.raises(ProtocolError, match=f"max_json_bytes={MAX_JSON_BYTES}"),
    ):
        client.search_for_studies()
    assert _peak() < MAX_JSON_BYTES + 256 * MiB


def test_raising_the_limit_lets_a_large_answer_through(dicomweb_server: Any) -> None:
    dicomweb_server.faults.add("/studies", gzip_bomb=SMALL_LIMIT + MiB)
    with (
        DicomClient(dicomweb_server.url, retry=False, max_json_bytes=SMALL_LIMIT) as client,
        pytest.raises(ProtocolError),
    ):
        client.search_for_studies()
    dicomweb_server.faults.add("/studies", gzip_bomb=SMALL_LIMIT + MiB)
    with DicomClient(dicomweb_server.url, retry=False, max_json_bytes=2 * SMALL_LIMIT) as client:
        assert client.search_for_studies() == []


def test_metadata_answers_are_bounded_too(dicomweb_server: Any) -> None:
    dicomweb_server.faults.add("/studies/1.2.3/metadata", endless=True)
    with (
        DicomClient(dicomweb_server.url, retry=False, max_json_bytes=MiB) as client,
        pytest.raises(ProtocolError, match="max_json_bytes"),
    ):
        client.retrieve_study_metadata("1.2.3")


@pytest.mark.parametrize("bad", [0, -1, 1.5, "1"])
def test_max_json_bytes_must_be_a_positive_int(bad: Any) -> None:
    with pytest.raises(InvalidArgumentError, match="max_json_bytes"):
        DicomClient("http://127.0.0.1:9", max_json_bytes=bad)


def test_the_limit_is_exact_and_counts_every_byte() -> None:
    exchange = JsonArrayExchange(Request("GET", "http://u:p@h/studies"), max_bytes=10)
    assert exchange.start(200, {"Content-Type": "application/dicom+json"}) is Step.READ
    exchange.feed(b"[    ")
    exchange.feed(b"    ]")
    assert exchange.result() == []
    exchange.begin()
    exchange.feed(b"[" * 10)
    with pytest.raises(ProtocolError, match="max_json_bytes=10") as info:
        exchange.feed(b" ")
    assert "u:p" not in str(info.value)


def test_the_bomb_is_a_valid_gzip_of_json() -> None:
    body = b"".join(gzip_bomb_body(3 * MiB + 5))
    assert len(body) < 16 * 1024
    assert gzip.decompress(body) == b"[" + b" " * (3 * MiB + 3) + b"]"
    first = next(iter(endless_json_body()))
    assert first == b"["


def test_stow_answers_are_bounded_by_the_same_option(dicomweb_server: Any) -> None:
    """The endless answer is cut at the limit; since it was never read, the client asks the
    server which instances it holds (the fault stored none) and says so, naming the option."""
    dicomweb_server.faults.add("/studies", method="POST", endless=True)
    with (
        DicomClient(dicomweb_server.url, retry=False, max_json_bytes=MiB) as client,
        pytest.raises(StoreError, match=f"max_json_bytes={MiB}") as caught,
    ):
        client.store_instances([make_instance()])
    assert "0 of 1 instance(s) are on the server" in str(caught.value)


def test_the_option_travels_with_the_client_config() -> None:
    assert DEFAULT_MAX_JSON_BYTES == MAX_JSON_BYTES
    client = DicomClient("http://127.0.0.1:9", max_json_bytes=MiB)
    assert client.config.max_json_bytes == MiB
    again = pickle.loads(pickle.dumps(client))
    assert again.exchanges.max_json_bytes == MiB
    client.close()
    again.close()
