"""Both clients' ``iter_*`` methods are lazy alike: a bad argument surfaces at the first item.

An async generator cannot raise before it is iterated, so the sync twin must not either;
otherwise the same mistake fails at different lines of the caller's code in the two clients.
"""

from __future__ import annotations

from typing import Any

import pytest

from dicomkit import AsyncDicomClient, DicomClient
from dicomkit.core.errors import DicomkitError

from .fakes import FakeTransport

BAD_CALLS: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = [
    ("iter_parts", ("not a uid",), {}),
    ("iter_study", ("not a uid",), {}),
    ("iter_series", ("1.2.3", "not a uid"), {}),
    ("iter_instance_frames", ("1.2.3", "1.2.4", "not a uid", [1]), {}),
    ("iter_search_for_studies", (), {"limit": "ten"}),
    ("iter_search_for_series", ("not a uid",), {}),
    ("iter_search_for_instances", ("1.2.3", "not a uid"), {}),
    ("iter_bulkdata", ("http://127.0.0.1:9/dw/bulk/1", (5, 2)), {}),
    ("iter_frames", ("1.2.3", "1.2.4", "not a uid"), {}),
    ("iter_series_frames", ("1.2.3", "1.2.4"), {"batch": 0}),
]


def _transport() -> FakeTransport:
    return FakeTransport(lambda request, body: (200, {"Content-Type": "application/json"}, b"[]"))


def test_every_iter_method_is_covered() -> None:
    names = {name for name in dir(DicomClient) if name.startswith("iter_")}
    assert names == {name for name, _, _ in BAD_CALLS}


@pytest.mark.parametrize(("name", "args", "kwargs"), BAD_CALLS, ids=[c[0] for c in BAD_CALLS])
async def test_bad_arguments_raise_at_the_first_item_on_both_clients(
    name: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    sync_transport, async_transport = _transport(), _transport()
    client = DicomClient("http://127.0.0.1:9/dw", transport=sync_transport)
    aclient = AsyncDicomClient("http://127.0.0.1:9/dw", transport=async_transport)

    items = getattr(client, name)(*args, **kwargs)
    aitems = getattr(aclient, name)(*args, **kwargs)

    with pytest.raises(DicomkitError) as sync_error:
        next(items)
    with pytest.raises(DicomkitError) as async_error:
        await aitems.__anext__()
    assert type(sync_error.value) is type(async_error.value)
    assert str(sync_error.value) == str(async_error.value)
    assert sync_transport.seen == async_transport.seen == []
