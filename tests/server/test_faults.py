"""Fault injection: statuses with Retry-After, counts, delays, cut and truncated bodies,
malformed multipart — observed with plain HTTP clients."""

from __future__ import annotations

import http.client
import re
from urllib.parse import urlsplit

import pytest
import requests
import urllib3

from dicomkit.testing.data import make_instance, make_study


def _instance_url(url: str, ds) -> str:
    return (
        f"{url}/studies/{ds.StudyInstanceUID}/series/{ds.SeriesInstanceUID}"
        f"/instances/{ds.SOPInstanceUID}"
    )


def test_status_with_retry_after_for_the_next_n_requests(dicomweb_server, url):
    fault = dicomweb_server.faults.add("/studies", status=503, retry_after=2, times=2)
    first = requests.get(f"{url}/studies", timeout=10)
    second = requests.get(f"{url}/studies", timeout=10)
    third = requests.get(f"{url}/studies", timeout=10)
    assert [first.status_code, second.status_code, third.status_code] == [503, 503, 200]
    assert first.headers["Retry-After"] == "2"
    assert fault.applied == 2
    assert len(dicomweb_server.faults) == 0


def test_429_after_letting_requests_pass(dicomweb_server, url):
    dicomweb_server.faults.add("/series", status=429, retry_after=1, after=1, times=1)
    statuses = [requests.get(f"{url}/series", timeout=10).status_code for _ in range(3)]
    assert statuses == [200, 429, 200]


def test_faults_match_by_method_and_regex(dicomweb_server, url, stow):
    dicomweb_server.faults.add(re.compile(r"/instances$"), method="GET", status=500, times=None)
    assert requests.get(f"{url}/instances", timeout=10).status_code == 500
    assert requests.get(f"{url}/instances", timeout=10).status_code == 500
    assert requests.get(f"{url}/studies", timeout=10).status_code == 200
    assert stow(url, [make_instance()]).status_code == 200
    dicomweb_server.faults.clear()
    assert requests.get(f"{url}/instances", timeout=10).status_code == 200


def test_delay_then_normal_answer(dicomweb_server, url):
    dicomweb_server.faults.add("/studies", delay=0.2)
    response = requests.get(f"{url}/studies", timeout=10)
    assert response.status_code == 200
    assert response.json() == []


def test_delay_longer_than_the_client_timeout(dicomweb_server, url):
    dicomweb_server.faults.add("/studies", delay=2)
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(f"{url}/studies", timeout=0.3)


def test_connection_cut_after_n_body_bytes(dicomweb_server, url, stow):
    ds = make_instance()
    stow(url, [ds])
    dicomweb_server.faults.add("/studies/", cut_after=100)
    pool = urllib3.PoolManager()
    response = pool.request("GET", _instance_url(url, ds), preload_content=False, retries=False)
    declared = int(response.headers["Content-Length"])
    assert declared > 100
    received = bytearray()

    def drain() -> None:
        for chunk in response.stream(10):
            received.extend(chunk)

    with pytest.raises(urllib3.exceptions.ProtocolError):
        drain()
    assert len(received) == 100
    assert requests.get(_instance_url(url, ds), timeout=10).status_code == 200


def test_truncated_response_ends_cleanly_but_short(dicomweb_server, url, stow, split_multipart):
    datasets = make_study(2)
    stow(url, datasets)
    dicomweb_server.faults.add("/studies/", truncate_after=300)
    response = requests.get(f"{url}/studies/{datasets[0].StudyInstanceUID}", timeout=10)
    assert response.status_code == 200
    assert len(response.content) == 300
    with pytest.raises(AssertionError):
        split_multipart(response.headers["Content-Type"], response.content)


def test_malformed_multipart_announces_a_boundary_the_body_never_uses(dicomweb_server, url, stow):
    ds = make_instance()
    stow(url, [ds])
    dicomweb_server.faults.add(re.compile("/frames/"), malformed_multipart=True)
    response = requests.get(_instance_url(url, ds) + "/frames/1", timeout=10)
    boundary = re.search(r"boundary=([^;]+)", response.headers["Content-Type"]).group(1)
    assert response.status_code == 200
    assert b"--" + boundary.encode() not in response.content
    assert response.content.startswith(b"--")


def test_fault_body_and_headers(dicomweb_server, url):
    dicomweb_server.faults.add(
        "/studies",
        status=400,
        body=b'{"error":"scripted"}',
        headers={"Content-Type": "application/json"},
    )
    response = requests.get(f"{url}/studies", timeout=10)
    assert response.status_code == 400
    assert response.json() == {"error": "scripted"}


def test_requests_are_recorded_for_assertions(dicomweb_server, url):
    requests.get(f"{url}/studies", params={"PatientID": "X"}, timeout=10)
    [recorded] = dicomweb_server.requests
    assert recorded.method == "GET"
    assert recorded.path.endswith("/studies")
    assert recorded.query == "PatientID=X"


def test_reset_clears_faults_store_and_log(dicomweb_server, url, stow):
    stow(url, [make_instance()])
    dicomweb_server.faults.add("/studies", status=503, times=None)
    dicomweb_server.server.reset()
    assert len(dicomweb_server.faults) == 0
    assert dicomweb_server.requests == []
    assert requests.get(f"{url}/instances", timeout=10).json() == []


def test_times_must_be_positive(dicomweb_server):
    with pytest.raises(ValueError):
        dicomweb_server.faults.add("/studies", status=503, times=0)


def test_raw_socket_sees_the_cut(dicomweb_server, url, stow):
    """No client library in between: the server really closes the connection early."""
    ds = make_instance()
    stow(url, [ds])
    dicomweb_server.faults.add("/studies/", cut_after=10)
    parts = urlsplit(_instance_url(url, ds))
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    connection.request("GET", parts.path)
    response = connection.getresponse()
    with pytest.raises(http.client.IncompleteRead):
        response.read()
    connection.close()
