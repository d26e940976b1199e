"""Property tests: QIDO matching against a straightforward model, and faults that cut bodies at
any byte."""

from __future__ import annotations

import datetime
import re
import uuid
from pathlib import Path

import pytest
import requests
import urllib3
from dicomkit_server._qido import parse_query, search
from dicomkit_server._store import InstanceRecord
from hypothesis import given
from hypothesis import strategies as st

from dicomkit.testing.data import dataset_bytes, make_instance

EARLIEST = datetime.date(1990, 1, 1)
TEXT = st.text(alphabet="ABCabc019 -_.", min_size=1, max_size=12)


def _record(patient_id: str, study_date: str = "20240102") -> InstanceRecord:
    metadata = {
        "0020000D": {"vr": "UI", "Value": ["1.2.3"]},
        "0020000E": {"vr": "UI", "Value": ["1.2.3.4"]},
        "00080018": {"vr": "UI", "Value": ["1.2.3.4.5"]},
        "00100020": {"vr": "LO", "Value": [patient_id]},
        "00080020": {"vr": "DA", "Value": [study_date]},
    }
    return InstanceRecord(
        "p",
        "1.2.3",
        "1.2.3.4",
        "1.2.3.4.5",
        "1.2",
        "1.2.840.10008.1.2.1",
        Path("unused"),
        0,
        "",
        metadata,
    )


def _found(record: InstanceRecord, **filters: str) -> bool:
    query = parse_query(filters.items())
    return bool(search([record], "instances", query, base_url="http://x", scoped=set()))


@given(value=TEXT, data=st.data())
def test_wildcards_match_like_a_regular_expression(value, data):
    pattern = data.draw(st.text(alphabet="ABCabc019 -_.*?", min_size=1, max_size=8))
    model = re.fullmatch(
        "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern),
        value,
        re.DOTALL,
    )
    assert _found(_record(value), PatientID=pattern) == (model is not None)


@given(value=TEXT, cut=st.integers(min_value=0, max_value=12))
def test_a_prefix_with_star_always_matches(value, cut):
    assert _found(_record(value), PatientID=value[:cut] + "*")


@given(
    day=st.dates(min_value=EARLIEST),
    low=st.dates(min_value=EARLIEST),
    high=st.dates(min_value=EARLIEST),
)
def test_date_ranges_match_like_date_comparison(day, low, high):
    record = _record("P", day.strftime("%Y%m%d"))
    query = f"{low:%Y%m%d}-{high:%Y%m%d}"
    assert _found(record, StudyDate=query) == (low <= day <= high)


@pytest.fixture(scope="module")
def stored_instance(dicomweb_server_session, stow):
    ds = make_instance(rows=16, cols=16)
    response = stow(dicomweb_server_session.url, [ds])
    assert response.status_code == 200
    yield dicomweb_server_session, ds
    dicomweb_server_session.reset()


@pytest.fixture(scope="module")
def stow():  # module-scoped twin of the conftest fixture, for the module-scoped instance
    def store(url, datasets):
        boundary = uuid.uuid4().hex
        body = (
            b"".join(
                f"--{boundary}\r\nContent-Type: application/dicom\r\n\r\n".encode()
                + dataset_bytes(ds)
                + b"\r\n"
                for ds in datasets
            )
            + f"--{boundary}--\r\n".encode()
        )
        content_type = f'multipart/related; type="application/dicom"; boundary={boundary}'
        return requests.post(
            f"{url}/studies", data=body, headers={"Content-Type": content_type}, timeout=10
        )

    return store


@given(cut=st.integers(min_value=0, max_value=6000))
def test_cut_after_delivers_exactly_that_many_bytes(stored_instance, cut):
    server, ds = stored_instance
    server.faults.clear()
    target = (
        f"{server.url}/studies/{ds.StudyInstanceUID}/series/{ds.SeriesInstanceUID}"
        f"/instances/{ds.SOPInstanceUID}"
    )
    server.faults.add(re.compile(re.escape(ds.SOPInstanceUID)), cut_after=cut)
    with urllib3.PoolManager() as pool:
        response = pool.request("GET", target, preload_content=False, retries=False)
        declared = int(response.headers["Content-Length"])
        received = bytearray()
        try:
            for chunk in response.stream(1):
                received.extend(chunk)
        except urllib3.exceptions.ProtocolError:
            pass
        response.release_conn()
    assert len(received) == min(cut, declared)
