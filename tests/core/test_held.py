"""The lookup that settles a broken STOW-RS request (dicomkit.core.held), driven by a fake
server: which UIDs are held, in how many requests, and what each kind of break means."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dicomkit.core import errors
from dicomkit.core.errors import StoreError
from dicomkit.core.held import (
    LOOKUP_CHUNK,
    NOT_ON_SERVER,
    NOT_YET,
    HeldExchange,
    confirmed,
    maybe_stored,
    sop_uids_of,
)
from dicomkit.core.interface import Request
from tests.core.test_exchanges import byte_by_byte, exchanges, one_piece, run

uids = st.integers(1, 10**6).map(lambda n: f"1.2.826.0.1.{n}")


def qido(held: set[str], *, ignore_filter: bool = False) -> Any:
    """A server holding ``held``: it answers the asked UIDs it holds (or every one it holds)."""

    def serve(request: Request) -> tuple[int, list[tuple[str, str]], bytes]:
        query = parse_qs(urlsplit(request.url).query)
        asked = set(",".join(query.get("SOPInstanceUID", [])).split(","))
        found = held if ignore_filter else held & asked
        body = json.dumps([{"00080018": {"vr": "UI", "Value": [uid]}} for uid in sorted(found)])
        return 200, [("Content-Type", "application/dicom+json")], body.encode()

    return serve


@given(
    asked=st.lists(uids, max_size=130),
    others=st.sets(uids, max_size=20),
    share=st.floats(0, 1),
    ignore_filter=st.booleans(),
    chunked=st.sampled_from([one_piece, byte_by_byte]),
)
def test_held_is_what_was_asked_and_is_held(
    asked: list[str], others: set[str], share: float, ignore_filter: bool, chunked: Any
) -> None:
    distinct = list(dict.fromkeys(asked))
    held = set(distinct[: int(len(distinct) * share)]) | others
    exchange = HeldExchange(exchanges(), asked, "1.2.3")
    _, sent = run(exchange, qido(held, ignore_filter=ignore_filter), chunked)
    assert exchange.result() == held & set(distinct)
    chunks = max(1, -(-len(distinct) // LOOKUP_CHUNK))
    # A chunk that found something asks for the page after it (every page is followed).
    assert chunks <= len(sent) <= 2 * chunks
    assert all("/studies/1.2.3/instances" in request.url for request in sent)


def test_nothing_asked_sends_nothing() -> None:
    exchange = HeldExchange(exchanges(), [])
    assert exchange.done
    assert exchange.result() == set()


def test_a_failed_search_raises_its_error() -> None:
    exchange = HeldExchange(exchanges(), ["1.2.3.4"])
    with pytest.raises(errors.ServerError):
        run(exchange, lambda request: (500, [], b"down"))


def test_bad_uids_are_refused_before_any_request() -> None:
    with pytest.raises(errors.InvalidUIDError):
        HeldExchange(exchanges(), ["1.2.3", "../etc"])


@pytest.mark.parametrize(
    ("error", "maybe"),
    [
        (errors.ConnectionLostError("lost"), True),
        (errors.ReadTimeout("slow"), True),
        (errors.ProtocolError("garbled"), True),
        (errors.ServerError(500, "boom"), True),
        (errors.GatewayTimeoutError(504, "gateway"), True),
        (errors.ServiceUnavailableError(503, "busy"), False),
        (errors.ServerError(501, "no"), False),
        (errors.ConnectError("refused"), False),
        (errors.ConnectTimeout("no route"), False),
        (errors.BadRequestError(400, "bad"), False),
    ],
)
def test_which_breaks_may_have_stored(error: errors.DicomkitError, maybe: bool) -> None:
    assert maybe_stored(error) is maybe


def test_confirmed_settles_each_instance() -> None:
    lost = errors.ConnectionLostError("reset")
    all_held = confirmed(["1.1", "1.2"], {"1.1", "1.2"}, lost)
    assert not isinstance(all_held, StoreError)
    assert [s.sop_instance_uid for s in all_held.stored] == ["1.1", "1.2"]
    assert all_held.ok
    assert "QIDO-RS found 2 of 2" in all_held.warnings[0]
    some = confirmed(["1.1", "1.2"], {"1.2"}, lost)
    assert isinstance(some, StoreError)
    assert [s.sop_instance_uid for s in some.result.stored] == ["1.2"]
    assert [(f.sop_instance_uid, f.reason) for f in some.result.failed] == [("1.1", NOT_ON_SERVER)]
    late = confirmed(["1.1"], set(), errors.ReadTimeout("slow"))
    assert isinstance(late, StoreError)
    assert late.result.failed[0].reason == NOT_YET
    refused = confirmed(["1.1"], set(), errors.ServerError(502, "bad gateway"))
    assert isinstance(refused, StoreError)
    assert refused.result.failed[0].reason == "HTTP 502; not on the server"


def test_sop_uids_of_skips_what_is_not_a_uid_element() -> None:
    found = [
        {"00080018": {"vr": "UI", "Value": ["1.2"]}},
        {"00080018": {"vr": "UI"}},
        {"00080018": "junk"},
        {},
    ]
    assert sop_uids_of(found) == {"1.2"}
