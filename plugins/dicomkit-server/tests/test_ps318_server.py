"""The reference server's side of PS3.18 as production servers do it, with raw requests whose
targets are written by hand: a capped search says so in a Warning, values split on raw commas
only, an attribute given twice is a 400, vendor parameters are ignored with a Warning, STOW-RS
answers in XML when asked, and OPTIONS describes the service."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest
import urllib3
from dicomkit_server import ReferenceServer

from dicomkit.core import multipart
from dicomkit.core.media import stow_content_type
from dicomkit.testing.data import dataset_bytes, make_instance


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[str, urllib3.PoolManager]]:
    made = ReferenceServer(max_results=2)
    url = made.start()
    http = urllib3.PoolManager()
    bodies = [
        make_instance(patient_id="S-1", StudyDescription="CT, Chest"),
        make_instance(patient_id="S-2", StudyDescription="CT"),
        make_instance(patient_id="S-3", StudyDescription="Chest"),
    ]
    _post(http, url, bodies)
    try:
        yield url, http
    finally:
        made.stop()


def _post(http: urllib3.PoolManager, url: str, datasets: list[Any], accept: str = "") -> Any:
    boundary = multipart.new_boundary()
    parts = [
        multipart.Part(dataset_bytes(ds), (("Content-Type", "application/dicom"),))
        for ds in datasets
    ]
    body = b"".join(multipart.encode_multipart(parts, boundary))
    headers = {"Content-Type": stow_content_type(boundary)}
    if accept:
        headers["Accept"] = accept
    return http.request("POST", f"{url}/studies", body=body, headers=headers)


def _get(http: urllib3.PoolManager, url: str, target: str) -> Any:
    return http.request("GET", url + target, headers={"Accept": "application/dicom+json"})


def _ids(response: Any) -> list[str]:
    return sorted(item["00100020"]["Value"][0] for item in json.loads(response.data))


def test_a_capped_search_says_how_many_are_left(served: tuple[str, urllib3.PoolManager]) -> None:
    url, http = served
    first = _get(http, url, "/studies")
    assert len(json.loads(first.data)) == 2
    assert first.headers["Warning"] == (
        '299 dicomkit "There are 1 additional results that can be requested"'
    )
    rest = _get(http, url, "/studies?offset=2")
    assert (len(json.loads(rest.data)), rest.headers.get("Warning")) == (1, None)
    assert "Warning" not in _get(http, url, "/studies?limit=2").headers


def test_values_split_on_raw_commas_only(served: tuple[str, urllib3.PoolManager]) -> None:
    url, http = served
    assert _ids(_get(http, url, "/studies?StudyDescription=CT%2C%20Chest")) == ["S-1"]
    assert _ids(_get(http, url, "/studies?StudyDescription=CT,Chest")) == ["S-2", "S-3"]


def test_an_attribute_twice_is_refused_and_vendor_parameters_ignored(
    served: tuple[str, urllib3.PoolManager],
) -> None:
    url, http = served
    assert _get(http, url, "/studies?PatientID=S-1&00100020=S-1").status == 400
    ignored = _get(http, url, "/studies?PatientID=S-1&orderby=PatientID")
    assert _ids(ignored) == ["S-1"]
    assert "'orderby' is not supported" in ignored.headers["Warning"]


def test_stow_answers_in_xml_when_asked(served: tuple[str, urllib3.PoolManager]) -> None:
    url, http = served
    ds = make_instance(patient_id="S-X")
    answer = _post(http, url, [ds], accept="application/dicom+xml")
    assert (answer.status, answer.headers["Content-Type"]) == (200, "application/dicom+xml")
    root = ET.fromstring(answer.data)
    assert root.tag.endswith("NativeDicomModel")
    assert ds.SOPInstanceUID.encode() in answer.data
    again = _post(http, url, [ds], accept="application/dicom+xml, application/dicom+json;q=0.5")
    assert again.status == 409
    assert b'tag="00081197"' in again.data


def test_options_describe_the_service(served: tuple[str, urllib3.PoolManager]) -> None:
    url, http = served
    root = http.request("OPTIONS", url + "/")
    assert root.headers["Content-Type"] == "application/vnd.sun.wadl+xml"
    assert b"SearchForStudies" in root.data
    as_json = http.request("OPTIONS", url + "/", headers={"Accept": "application/json"})
    assert json.loads(as_json.data)["resources"] == ["studies", "series", "instances"]
    studies = http.request("OPTIONS", url + "/studies")
    assert studies.headers["Allow"] == "GET, HEAD, OPTIONS, POST"
    assert http.request("OPTIONS", url + "/nowhere").status == 404


def test_max_results_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_results"):
        ReferenceServer(max_results=0)
