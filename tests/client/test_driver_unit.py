"""Client driver behaviour against an in-memory fake server: paging, retries, auth, errors."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from dicomkit import AsyncDicomClient, DicomClient
from dicomkit.auth import Auth
from dicomkit.core.errors import (
    BadRequestError,
    DicomkitError,
    HTTPError,
    InvalidArgumentError,
    MethodNotAllowedError,
    NotFoundError,
    ServiceUnavailableError,
    StoreError,
)
from dicomkit.core.interface import Request
from dicomkit.core.retry import RetryPolicy
from dicomkit.testing.data import make_instance

from .fakes import Answer, FakeTransport

BASE = "http://dicom.test/dicom-web"
TLS_BASE = "https://dicom.test/dicom-web"
NO_WAIT = RetryPolicy(backoff=0.0, jitter=0.0, max_attempts=4)


def study(n: int) -> dict[str, Any]:
    return {"0020000D": {"vr": "UI", "Value": [f"1.2.3.{n}"]}}


def json_answer(items: list[dict[str, Any]], **headers: str) -> Answer:
    return 200, {"Content-Type": "application/dicom+json", **headers}, json.dumps(items).encode()


def query(request: Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}


def paged_server(total: int, *, honour_offset: bool = True, honour_limit: bool = True) -> Any:
    everything = [study(n) for n in range(total)]

    def handler(request: Request, body: bytes) -> Answer:
        params = query(request)
        offset = int(params.get("offset", 0)) if honour_offset else 0
        limit = int(params.get("limit", total)) if honour_limit else total
        return json_answer(everything[offset : offset + limit])

    return handler


def uids(items: list[dict[str, Any]]) -> list[str]:
    return [item["0020000D"]["Value"][0] for item in items]


@pytest.mark.parametrize(
    ("honour_offset", "honour_limit", "expected"),
    [(True, True, 25), (True, False, 25), (False, False, 25), (False, True, 10)],
)
def test_paging_ends_whatever_the_server_ignores(
    honour_offset: bool, honour_limit: bool, expected: int
) -> None:
    transport = FakeTransport(
        paged_server(25, honour_offset=honour_offset, honour_limit=honour_limit)
    )
    with DicomClient(BASE, transport=transport) as client:
        found = list(client.iter_search_for_studies(limit=10))
    assert uids(found) == [f"1.2.3.{n}" for n in range(expected)]
    assert len(transport.seen) <= 5


def test_get_remaining_collects_all_pages_with_limit_as_page_size() -> None:
    transport = FakeTransport(paged_server(23))
    with DicomClient(BASE, transport=transport) as client:
        found = client.search_for_studies(limit=5, get_remaining=True)
    assert len(found) == 23
    assert [query(s.request).get("offset") for s in transport.seen] == [None, "5", "10", "15", "20"]


def test_a_truncation_warning_keeps_paging_after_a_short_page() -> None:
    everything = [study(n) for n in range(7)]

    def handler(request: Request, body: bytes) -> Answer:
        offset = int(query(request).get("offset", 0))
        page = everything[offset : offset + 3]
        return (
            json_answer(page, Warning='299 server "results truncated"') if page else json_answer([])
        )

    with DicomClient(BASE, transport=FakeTransport(handler)) as client:
        assert len(list(client.iter_search_for_studies(limit=100))) == 7


async def test_async_paging_stops_when_offset_is_ignored() -> None:
    transport = FakeTransport(paged_server(30, honour_offset=False, honour_limit=False))
    async with AsyncDicomClient(BASE, transport=transport) as client:
        found = [s async for s in client.iter_search_for_studies(limit=10)]
    assert len(found) == 30
    assert len(transport.seen) == 2


def storm(failures: int, status: int = 503, retry_after: str = "0") -> Any:
    count = {"n": 0}

    def handler(request: Request, body: bytes) -> Answer:
        count["n"] += 1
        if count["n"] <= failures:
            return status, {"Retry-After": retry_after}, b"busy"
        if request.method == "POST":
            return 200, {"Content-Type": "application/dicom+json"}, b"{}"
        return json_answer([study(1)])

    return handler


def test_503_storm_is_retried_then_succeeds() -> None:
    transport = FakeTransport(storm(3))
    with DicomClient(BASE, transport=transport, retry=NO_WAIT) as client:
        assert uids(client.search_for_studies()) == ["1.2.3.1"]
    assert len(transport.seen) == 4


def test_a_storm_longer_than_the_policy_raises_with_the_body() -> None:
    transport = FakeTransport(storm(10))
    with (
        DicomClient(BASE, transport=transport, retry=NO_WAIT) as client,
        pytest.raises(ServiceUnavailableError) as info,
    ):
        client.search_for_studies()
    assert info.value.status == 503
    assert info.value.body == b"busy"
    assert len(transport.seen) == NO_WAIT.max_attempts


async def test_async_storm_is_retried() -> None:
    transport = FakeTransport(storm(2, status=429))
    async with AsyncDicomClient(BASE, transport=transport, retry=NO_WAIT) as client:
        assert uids(await client.search_for_studies()) == ["1.2.3.1"]
    assert len(transport.seen) == 3


def test_stow_is_not_retried_by_default_but_resends_the_whole_body_when_allowed() -> None:
    ds = make_instance()
    transport = FakeTransport(storm(1))
    with (
        DicomClient(BASE, transport=transport, retry=NO_WAIT) as client,
        pytest.raises(ServiceUnavailableError),
    ):
        client.store_instances([ds])
    assert len(transport.seen) == 1

    transport = FakeTransport(storm(2))
    policy = RetryPolicy(backoff=0.0, retry_stow=True)
    with DicomClient(BASE, transport=transport, retry=policy) as client:
        client.store_instances([ds])
    bodies = [seen.body for seen in transport.seen]
    assert len(bodies) == 3
    assert len(bodies[0]) > 1000
    assert bodies[0] == bodies[1] == bodies[2]


class RotatingToken(Auth):
    def __init__(self) -> None:
        self.token = "old"
        self.refreshes = 0

    def headers(self, transport: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def refresh(self, transport: Any, failed_headers: Mapping[str, str]) -> bool:
        self.refreshes += 1
        self.token = "new"
        return True

    async def arefresh(self, transport: Any, failed_headers: Mapping[str, str]) -> bool:
        return self.refresh(transport, failed_headers)


def token_server(request: Request, body: bytes) -> Answer:
    if request.headers.get("Authorization") != "Bearer new":
        return 401, {"WWW-Authenticate": "Bearer"}, b""
    return json_answer([study(2)])


def test_401_refreshes_the_token_and_retries_once() -> None:
    auth = RotatingToken()
    transport = FakeTransport(token_server)
    with DicomClient(TLS_BASE, transport=transport, auth=auth) as client:
        assert uids(client.search_for_studies()) == ["1.2.3.2"]
    assert auth.refreshes == 1
    assert len(transport.seen) == 2


async def test_async_401_refreshes_the_token() -> None:
    auth = RotatingToken()
    client = AsyncDicomClient(TLS_BASE, transport=FakeTransport(token_server), auth=auth)
    async with client:
        assert uids(await client.search_for_studies()) == ["1.2.3.2"]
    assert auth.refreshes == 1


def test_orthanc_style_json_error_without_content_type_gives_reasons() -> None:
    def handler(request: Request, body: bytes) -> Answer:
        error = {"HttpStatus": 404, "Message": "Unknown resource", "Details": "no such study"}
        return 404, {}, json.dumps(error).encode()

    with (
        DicomClient(BASE, transport=FakeTransport(handler)) as client,
        pytest.raises(NotFoundError) as info,
    ):
        client.retrieve_study_metadata("1.2.3")
    assert info.value.reasons == ["Unknown resource", "no such study"]
    assert "Unknown resource" in str(info.value)


def test_delete_405_says_the_server_has_no_dicomweb_delete() -> None:
    transport = FakeTransport(lambda request, body: (405, {}, b""))
    with (
        DicomClient(BASE, transport=transport) as client,
        pytest.raises(MethodNotAllowedError, match="does not support DICOMweb DELETE"),
    ):
        client.delete_study("1.2.3")


def test_instance_without_series_is_refused_before_any_request() -> None:
    transport = FakeTransport(lambda request, body: (200, {}, b""))
    client = DicomClient(BASE, transport=transport)
    with client:
        with pytest.raises(ValueError):
            client.delete_dicom("1.2.3", None, "1.2.3.4")
        with pytest.raises(InvalidArgumentError):
            client.retrieve_study("../../etc")
    assert transport.seen == []


def stow_answer(stored: list[str], failed: list[tuple[str, int]], status: int) -> Answer:
    document: dict[str, Any] = {}
    if stored:
        document["00081199"] = {
            "vr": "SQ",
            "Value": [
                {"00081150": {"vr": "UI", "Value": ["1.2.840.10008.5.1.4.1.1.2"]},
                 "00081155": {"vr": "UI", "Value": [uid]}}
                for uid in stored
            ],
        }  # fmt: skip
    if failed:
        document["00081198"] = {
            "vr": "SQ",
            "Value": [
                {"00081150": {"vr": "UI", "Value": ["1.2.840.10008.5.1.4.1.1.2"]},
                 "00081155": {"vr": "UI", "Value": [uid]},
                 "00081197": {"vr": "US", "Value": [code]}}
                for uid, code in failed
            ],
        }  # fmt: skip
    return status, {"Content-Type": "application/dicom+json"}, json.dumps(document).encode()


def test_partial_store_raises_store_error_carrying_the_result() -> None:
    good, bad = make_instance(), make_instance()
    answer = stow_answer([good.SOPInstanceUID], [(bad.SOPInstanceUID, 0xA700)], 202)
    with (
        DicomClient(BASE, transport=FakeTransport(lambda r, b: answer)) as client,
        pytest.raises(StoreError) as info,
    ):
        client.store_instances([good, bad])
    result = info.value.result
    assert [s.sop_instance_uid for s in result.stored] == [good.SOPInstanceUID]
    assert [f.sop_instance_uid for f in result.failed] == [bad.SOPInstanceUID]
    assert result.failed[0].reason_code == 0xA700
    assert bad.SOPInstanceUID in str(info.value)


def test_store_splits_batches_by_count_and_merges_failures() -> None:
    instances = [make_instance() for _ in range(5)]
    failing = instances[3].SOPInstanceUID

    def handler(request: Request, body: bytes) -> Answer:
        sent = [ds.SOPInstanceUID for ds in instances if ds.SOPInstanceUID.encode() in body]
        failed = [(uid, 0x0110) for uid in sent if uid == failing]
        ok = [uid for uid in sent if uid != failing]
        return stow_answer(ok, failed, 202 if failed else 200)

    transport = FakeTransport(handler)
    progress: list[tuple[int, int | None]] = []
    client = DicomClient(BASE, transport=transport)
    with client, pytest.raises(StoreError) as info:
        client.store_instances(
            instances, max_batch_instances=2, progress=lambda d, t: progress.append((d, t))
        )
    assert len(transport.seen) == 3
    assert len(info.value.result.stored) == 4
    assert [f.sop_instance_uid for f in info.value.result.failed] == [failing]
    assert progress == [(2, 5), (4, 5), (5, 5)]


def test_store_400_with_orthanc_json_body_is_an_http_error() -> None:
    answer = (400, {}, b'{"HttpStatus": 400, "Message": "Bad file format"}')
    with (
        DicomClient(BASE, transport=FakeTransport(lambda r, b: answer)) as client,
        pytest.raises(BadRequestError, match="Bad file format"),
    ):
        client.store_instances([b"not dicom"])


def test_a_part_that_is_not_dicom_is_a_dicomkit_error() -> None:
    answer = (200, {"Content-Type": "application/dicom"}, b"\x00garbage")
    with (
        DicomClient(BASE, transport=FakeTransport(lambda r, b: answer)) as client,
        pytest.raises(DicomkitError),
    ):
        client.retrieve_instance("1.2.3", "1.2.3.4", "1.2.3.4.5")


@pytest.mark.parametrize("patient_id", ["", "  ", "12*", "A?C", "A\\B"])
def test_a_patient_id_that_would_match_other_patients_is_refused(patient_id: str) -> None:
    transport = FakeTransport(lambda r, b: json_answer([study(1)]))
    with DicomClient(BASE, transport=transport) as client, pytest.raises(InvalidArgumentError):
        client.get_patient_study_ids(patient_id)
    assert transport.seen == []


def test_patient_study_ids_skip_answers_without_a_study_uid() -> None:
    answer = json_answer([study(1), {"00100020": {"vr": "LO", "Value": ["P"]}}, study(1)])
    with DicomClient(BASE, transport=FakeTransport(lambda r, b: answer)) as client:
        assert client.get_patient_study_ids("P") == ["1.2.3.1"]


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_an_unfollowed_redirect_is_an_error_not_a_silent_success(status: int) -> None:
    """Transports follow only GET/HEAD redirects: a redirected DELETE deleted nothing."""
    answer: Answer = (status, {"Location": "https://elsewhere.test/x"}, b"")
    with DicomClient(BASE, transport=FakeTransport(lambda r, b: answer)) as client:
        with pytest.raises(HTTPError, match=f"HTTP {status}") as info:
            client.delete_study("1.2.3")
        assert info.value.status == status
        with pytest.raises(HTTPError):
            client.search_for_studies()


async def test_async_an_unfollowed_redirect_is_an_error() -> None:
    answer: Answer = (302, {"Location": "https://elsewhere.test/x"}, b"")
    async with AsyncDicomClient(BASE, transport=FakeTransport(lambda r, b: answer)) as client:
        with pytest.raises(HTTPError, match="HTTP 302"):
            await client.delete_study("1.2.3")
