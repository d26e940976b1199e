"""``extra_params=`` on every WADO-RS, STOW-RS and DELETE method of both clients, as
dicomweb-client's ``additional_params=`` (docs/migrating.md, row 8), and the base URL's parts
on ``client.urls`` (row 3).

A fake server answers each request and notes its URL: the vendor's parameters must reach every
request the call sends, encoded, and a refused one must stop the call before any request.
"""

from __future__ import annotations

import inspect
import json
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from dicomkit import AsyncDicomClient, DicomClient
from dicomkit.core.errors import InvalidArgumentError
from dicomkit.core.interface import Request
from dicomkit.core.multipart import Part, encode_multipart
from dicomkit.testing.data import dataset_bytes, make_instance

from .fakes import Answer, FakeTransport

URL = "http://pacs.test:8080/dicom-web"
DS = make_instance(rows=4, cols=4, frames=2)
STUDY, SERIES, SOP = DS.StudyInstanceUID, DS.SeriesInstanceUID, DS.SOPInstanceUID
TARGET = (STUDY, SERIES, SOP)
BULK = f"{URL}/studies/{STUDY}/series/{SERIES}/instances/{SOP}/bulk/7FE00010"
EXTRA = {"vendor": "a&b", "flags": ["x", "y,z"]}
SENT = [("vendor", "a&b"), ("flags", "x,y,z")]
BOUNDARY = "fake-boundary"
METADATA = {
    "0020000D": {"vr": "UI", "Value": [STUDY]},
    "0020000E": {"vr": "UI", "Value": [SERIES]},
    "00080018": {"vr": "UI", "Value": [SOP]},
    "00280008": {"vr": "IS", "Value": [2]},
    "00280010": {"vr": "US", "Value": [4]},
    "00280011": {"vr": "US", "Value": [4]},
    "00280100": {"vr": "US", "Value": [8]},
    "00280002": {"vr": "US", "Value": [1]},
}
STORED = {
    "00081199": {
        "vr": "SQ",
        "Value": [
            {
                "00081150": {"vr": "UI", "Value": [DS.SOPClassUID]},
                "00081155": {"vr": "UI", "Value": [SOP]},
            }
        ],
    }
}


def _parts(kind: str, bodies: list[bytes]) -> Answer:
    parts = [Part(body, {"Content-Type": kind}) for body in bodies]
    media = f'multipart/related; type="{kind}"; boundary={BOUNDARY}'
    return 200, {"Content-Type": media}, b"".join(encode_multipart(parts, BOUNDARY))


def _server(request: Request, body: bytes) -> Answer:
    """Just enough of a DICOMweb server for one answer of each kind."""
    path = urlsplit(request.url).path
    if request.method == "DELETE":
        return 204, {}, b""
    if request.method == "POST":
        return 200, {"Content-Type": "application/dicom+json"}, json.dumps(STORED).encode()
    if path.endswith("/metadata"):
        return 200, {"Content-Type": "application/dicom+json"}, json.dumps([METADATA]).encode()
    if "/frames/" in path:
        return _parts("application/octet-stream", [b"\x01" * 16 for _ in path.split(",")])
    if "/bulk/" in path:
        return _parts("application/octet-stream", [b"\x02" * 32])
    if path.endswith(("/rendered", "/thumbnail")):
        return 200, {"Content-Type": "image/jpeg"}, b"\xff\xd8jpeg\xff\xd9"
    return _parts("application/dicom", [dataset_bytes(DS)])


CALLS: list[tuple[str, tuple[Any, ...], dict[str, Any], int]] = [
    # method, arguments, other keywords, requests it sends
    ("retrieve_study", (STUDY,), {}, 1),
    ("retrieve_series", (STUDY, SERIES), {}, 1),
    ("retrieve_instance", TARGET, {"transfer_syntax": "1.2.840.10008.1.2.1"}, 1),
    ("iter_study", (STUDY,), {}, 1),
    ("iter_parts", TARGET, {}, 1),
    ("retrieve_study_metadata", (STUDY,), {}, 1),
    ("retrieve_series_metadata", (STUDY, SERIES), {}, 1),
    ("retrieve_instance_metadata", TARGET, {}, 1),
    ("retrieve_instance_frames", (*TARGET, [2, 1]), {}, 1),
    ("iter_instance_frames", (*TARGET, [1]), {}, 1),
    ("iter_frames", (*TARGET, [1, 2]), {"batch": 1, "concurrency": 1}, 3),  # metadata first
    ("iter_series_frames", (STUDY, SERIES), {"batch": 2}, 2),
    ("retrieve_instance_rendered", TARGET, {"params": {"quality": 70}}, 1),
    ("retrieve_series_rendered", (STUDY, SERIES), {}, 1),
    ("retrieve_thumbnail", (STUDY,), {}, 1),
    ("retrieve_bulkdata", (BULK, (0, 31)), {}, 1),
    ("iter_bulkdata", (BULK,), {"media_types": ["application/octet-stream"]}, 1),
    ("store_instances", ([DS],), {}, 1),
    ("delete_study", (STUDY,), {}, 1),
    ("delete_series", (STUDY, SERIES), {}, 1),
    ("delete_instance", TARGET, {}, 1),
    ("delete_dicom", (STUDY, SERIES), {}, 1),
]
IDS = [name for name, *_ in CALLS]


def _call(client: DicomClient, name: str, args: tuple[Any, ...], keywords: dict[str, Any]) -> Any:
    result = getattr(client, name)(*args, **keywords)
    return list(result) if inspect.isgenerator(result) else result


async def _acall(
    client: AsyncDicomClient, name: str, args: tuple[Any, ...], keywords: dict[str, Any]
) -> Any:
    result = getattr(client, name)(*args, **keywords)
    if inspect.isasyncgen(result):
        return [item async for item in result]
    return await result


def _vendor_pairs(request: Request) -> list[tuple[str, str]]:
    pairs = parse_qsl(urlsplit(request.url).query, keep_blank_values=True)
    return [(name, value) for name, value in pairs if name != "quality"]


@pytest.mark.parametrize(("name", "args", "keywords", "requests"), CALLS, ids=IDS)
def test_every_request_of_a_sync_call_carries_them(name, args, keywords, requests):
    transport = FakeTransport(_server)
    with DicomClient(URL, transport=transport) as client:
        _call(client, name, args, {**keywords, "extra_params": EXTRA})
    assert len(transport.seen) == requests
    for seen in transport.seen:
        assert _vendor_pairs(seen.request) == SENT, seen.request.url
        assert "vendor=a%26b&flags=x,y%2Cz" in seen.request.url


@pytest.mark.parametrize(("name", "args", "keywords", "requests"), CALLS, ids=IDS)
async def test_every_request_of_an_async_call_carries_them(name, args, keywords, requests):
    transport = FakeTransport(_server)
    async with AsyncDicomClient(URL, transport=transport) as client:
        await _acall(client, name, args, {**keywords, "extra_params": EXTRA})
    assert len(transport.seen) == requests
    assert all(_vendor_pairs(seen.request) == SENT for seen in transport.seen)


@pytest.mark.parametrize(("name", "args", "keywords", "requests"), CALLS, ids=IDS)
async def test_without_them_the_urls_are_as_before(name, args, keywords, requests):
    transport = FakeTransport(_server)
    async with AsyncDicomClient(URL, transport=transport) as client:
        await _acall(client, name, args, keywords)
    assert all(_vendor_pairs(seen.request) == [] for seen in transport.seen)


@pytest.mark.parametrize(
    ("name", "args", "extra"),
    [
        ("retrieve_study", (STUDY,), {"accept": "application/dicom+xml"}),
        ("retrieve_study_metadata", (STUDY,), {"Accept": "application/dicom+xml"}),
        ("retrieve_instance_rendered", TARGET, {"window": "40,400,LINEAR"}),
        ("retrieve_bulkdata", (BULK,), {"x": None}),
        ("store_instances", ([DS],), {"": "empty name"}),
        ("delete_study", (STUDY,), {"x": {"nested": 1}}),
        ("iter_frames", TARGET, {"accept": "image/jpeg"}),
    ],
)
def test_a_refused_parameter_stops_the_call_before_any_request(name, args, extra):
    transport = FakeTransport(_server)
    with DicomClient(URL, transport=transport) as client, pytest.raises(InvalidArgumentError):
        _call(client, name, args, {"extra_params": extra})
    assert transport.seen == []


def test_the_base_url_parts_are_read_on_client_urls() -> None:
    with DicomClient(URL, transport=FakeTransport(_server), api_version="v1") as client:
        urls = client.urls
        assert (urls.protocol, urls.host, urls.port, urls.url_prefix) == (
            "http",
            "pacs.test",
            8080,
            "/dicom-web",
        )
        assert urls.scheme == "http"
        assert urls.root == f"{URL}/v1"
        with pytest.raises(AttributeError):
            urls.host = "elsewhere.test"  # type: ignore[misc]
        with pytest.raises(InvalidArgumentError, match="cannot be changed after construction"):
            client.url_prefix = "/other"  # type: ignore[attr-defined]
