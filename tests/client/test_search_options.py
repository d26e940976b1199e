"""Search options reach the clients as ``**options``: a misspelt one, or ``get_remaining`` on an
``iter_*`` method, must raise ``TypeError`` as a plain keyword argument would, not be dropped."""

from __future__ import annotations

import json
from typing import Any

import pytest

from dicomkit import AsyncDicomClient, DicomClient
from dicomkit.core.interface import Request

from .fakes import Answer, FakeTransport

BASE = "http://dicom.test/dicom-web"


def one_study(request: Request, body: bytes) -> Answer:
    items = [{"0020000D": {"vr": "UI", "Value": ["1.2.3"]}}]
    return 200, {"Content-Type": "application/dicom+json"}, json.dumps(items).encode()


def expected(method: str, key: str) -> str:
    return rf"^{method}\(\) got an unexpected keyword argument '{key}'$"


def consume(client: DicomClient, method: str, options: dict[str, Any]) -> list[Any]:
    """Call ``method`` and read all it returns, so that lazy iterators run too."""
    return list(getattr(client, method)(**options))


async def aconsume(client: AsyncDicomClient, method: str, options: dict[str, Any]) -> list[Any]:
    if method.startswith("iter_"):
        return [item async for item in getattr(client, method)(**options)]
    result: list[Any] = await getattr(client, method)(**options)
    return result


MISTAKES = [
    ("search_for_studies", {"get_remaining": True, "feilds": ["PatientID"]}, "feilds"),
    ("search_for_series", {"fuzzy_matching": True}, "fuzzy_matching"),
    ("iter_search_for_studies", {"limt": 5}, "limt"),
    ("iter_search_for_instances", {"get_remaining": True}, "get_remaining"),
]


@pytest.mark.parametrize(("method", "options", "key"), MISTAKES)
def test_sync_client_refuses_unknown_search_options(
    method: str, options: dict[str, Any], key: str
) -> None:
    transport = FakeTransport(one_study)
    client = DicomClient(BASE, transport=transport)
    with client, pytest.raises(TypeError, match=expected(method, key)):
        consume(client, method, options)
    assert transport.seen == []


@pytest.mark.parametrize(("method", "options", "key"), MISTAKES)
async def test_async_client_refuses_unknown_search_options(
    method: str, options: dict[str, Any], key: str
) -> None:
    transport = FakeTransport(one_study)
    async with AsyncDicomClient(BASE, transport=transport) as client:
        with pytest.raises(TypeError, match=expected(method, key)):
            await aconsume(client, method, options)
    assert transport.seen == []


def test_sync_iter_search_still_yields_every_study() -> None:
    with DicomClient(BASE, transport=FakeTransport(one_study)) as client:
        assert len(list(client.iter_search_for_studies(limit=5, fields=["PatientID"]))) == 1
