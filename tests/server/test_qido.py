"""QIDO-RS matching and result shaping, driven with plain HTTP."""

from __future__ import annotations

import pytest
import requests
from dicomkit_server import ReferenceServer

from dicomkit.testing.data import make_instance, make_study, new_uid


def _get(url: str, path: str, params: object = None) -> requests.Response:
    return requests.get(f"{url}{path}", params=params, timeout=10)  # type: ignore[arg-type]


def _values(results: list[dict], tag: str) -> list:
    return [result[tag]["Value"][0] for result in results if "Value" in result.get(tag, {})]


@pytest.fixture
def populated(url, stow):
    """Three studies with different patients, dates, times and modalities."""
    studies = {
        "jane": make_study(
            3, n_series=2, patient_name="Doe^Jane", patient_id="P1", study_date="20240102"
        ),
        "john": make_study(
            2, patient_name="Smith^John^Q", patient_id="P2", study_date="20240315", modality="MR"
        ),
        "ann": make_study(1, patient_name="Doe^Ann", patient_id="P3", study_date="20231231"),
    }
    studies["john"][0].StudyTime = "083000"
    studies["john"][1].StudyTime = "083000"
    for datasets in studies.values():
        assert stow(url, datasets).status_code == 200
    return studies


def test_study_level_defaults_and_counts(url, populated):
    response = _get(url, "/studies")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/dicom+json")
    results = response.json()
    assert len(results) == 3
    jane = next(r for r in results if r["00100020"]["Value"] == ["P1"])
    assert jane["00201206"]["Value"] == [2]
    assert jane["00201208"]["Value"] == [3]
    assert jane["00080061"]["Value"] == ["CT"]
    study = populated["jane"][0].StudyInstanceUID
    assert jane["00081190"]["Value"] == [f"{url}/studies/{study}"]
    assert "00080018" not in jane
    assert "0020000E" not in jane


@pytest.mark.parametrize(
    ("path", "expected"),
    [("/series", 4), ("/instances", 6)],
)
def test_top_level_series_and_instances(url, populated, path, expected):
    assert len(_get(url, path).json()) == expected


def test_nested_levels(url, populated):
    jane = populated["jane"]
    study = jane[0].StudyInstanceUID
    series = _get(url, f"/studies/{study}/series").json()
    assert sorted(_values(series, "0020000E")) == sorted({ds.SeriesInstanceUID for ds in jane})
    assert all("00100010" not in item for item in series)
    assert sorted(_values(series, "00201209")) == [1, 2]
    instances = _get(url, f"/studies/{study}/instances").json()
    assert len(instances) == 3
    one_series = jane[0].SeriesInstanceUID
    nested = _get(url, f"/studies/{study}/series/{one_series}/instances").json()
    assert sorted(_values(nested, "00080018")) == sorted(
        ds.SOPInstanceUID for ds in jane if ds.SeriesInstanceUID == one_series
    )


def test_match_by_keyword_and_by_tag(url, populated):
    by_keyword = _get(url, "/studies", {"PatientID": "P2"}).json()
    by_tag = _get(url, "/studies", {"00100020": "P2"}).json()
    assert by_keyword == by_tag
    assert _values(by_keyword, "0020000D") == [populated["john"][0].StudyInstanceUID]


def test_uid_list_matching(url, populated):
    wanted = [populated["jane"][0].StudyInstanceUID, populated["ann"][0].StudyInstanceUID]
    results = _get(url, "/studies", {"StudyInstanceUID": ",".join(wanted)}).json()
    assert sorted(_values(results, "0020000D")) == sorted(wanted)
    backslash = _get(url, "/studies", {"StudyInstanceUID": "\\".join(wanted)}).json()
    assert len(backslash) == 2


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Doe*", {"P1", "P3"}), ("doe^j*", {"P1"}), ("Smith^J?hn^Q", {"P2"}), ("*Ann", {"P3"})],
)
def test_wildcards_on_person_names(url, populated, name, expected):
    results = _get(url, "/studies", {"PatientName": name}).json()
    assert set(_values(results, "00100020")) == expected


def test_wildcard_on_plain_strings_is_case_sensitive(url, populated):
    assert len(_get(url, "/studies", {"PatientID": "P*"}).json()) == 3
    assert _get(url, "/studies", {"PatientID": "p*"}).json() == []


@pytest.mark.parametrize(
    ("dates", "expected"),
    [
        ("20240101-20240201", {"P1"}),
        ("20240101-", {"P1", "P2"}),
        ("-20231231", {"P3"}),
        ("20240315", {"P2"}),
    ],
)
def test_date_ranges(url, populated, dates, expected):
    results = _get(url, "/studies", {"StudyDate": dates}).json()
    assert set(_values(results, "00100020")) == expected


def test_time_range(url, populated):
    results = _get(url, "/studies", {"StudyTime": "0800-0900"}).json()
    assert set(_values(results, "00100020")) == {"P2"}
    later = _get(url, "/studies", {"StudyTime": "1000-"}).json()
    assert set(_values(later, "00100020")) == {"P1", "P3"}


def test_modalities_in_study(url, populated):
    results = _get(url, "/studies", {"ModalitiesInStudy": "MR"}).json()
    assert set(_values(results, "00100020")) == {"P2"}


def test_fuzzy_matching_of_person_names(url, populated):
    strict = _get(url, "/studies", {"PatientName": "john"}).json()
    assert strict == []
    fuzzy = _get(url, "/studies", {"PatientName": "john", "fuzzymatching": "true"}).json()
    assert set(_values(fuzzy, "00100020")) == {"P2"}
    two_words = _get(url, "/studies", {"PatientName": "sm jo", "fuzzymatching": "true"}).json()
    assert set(_values(two_words, "00100020")) == {"P2"}


def test_includefield_names_and_all(url, populated):
    plain = _get(url, "/studies", {"PatientID": "P1"}).json()[0]
    assert "00081030" not in plain
    named = _get(url, "/studies", {"PatientID": "P1", "includefield": "StudyDescription"})
    assert named.json()[0]["00081030"]["Value"] == ["dicomkit test study"]
    by_tag = _get(url, "/studies", [("PatientID", "P1"), ("includefield", "00081030")])
    assert "00081030" in by_tag.json()[0]
    everything = _get(url, "/instances", {"PatientID": "P3", "includefield": "all"}).json()[0]
    assert "00100030" in everything
    assert "00080090" in everything
    assert "7FE00010" not in everything


def test_limit_and_offset_page_through_results(url, populated):
    everything = _values(_get(url, "/instances").json(), "00080018")
    pages = [
        _values(_get(url, "/instances", {"limit": 4, "offset": offset}).json(), "00080018")
        for offset in (0, 4)
    ]
    assert [len(page) for page in pages] == [4, 2]
    assert pages[0] + pages[1] == everything


@pytest.mark.parametrize(
    "params",
    [
        {"NoSuchKeyword": "x"},
        {"limit": "-1"},
        {"offset": "many"},
        {"fuzzymatching": "maybe"},
        {"limit": "\u00b2"},
        {"offset": "\u0661"},
    ],
)
def test_bad_queries_are_400(url, params):
    assert _get(url, "/studies", params).status_code == 400


def test_empty_result_is_200_by_default(url):
    response = _get(url, "/studies", {"PatientID": "nobody"})
    assert response.status_code == 200
    assert response.json() == []


def test_empty_result_can_be_204():
    with ReferenceServer(empty_result_status=204) as base:
        response = _get(base, "/studies")
    assert response.status_code == 204
    assert response.content == b""


def test_numeric_and_instance_attributes(url, stow):
    study = new_uid()
    datasets = [make_instance(study_uid=study, InstanceNumber=n) for n in (1, 2, 3)]
    assert stow(url, datasets).status_code == 200
    results = _get(url, f"/studies/{study}/instances", {"InstanceNumber": "2"}).json()
    assert _values(results, "00080018") == [datasets[1].SOPInstanceUID]
    assert results[0]["00280010"]["Value"] == [64]


def test_search_in_xml_is_answered_and_other_types_are_406(url):
    headers = {"Accept": 'multipart/related; type="application/dicom+xml"'}
    answer = requests.get(f"{url}/studies", headers=headers, timeout=10)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith(
        'multipart/related; type="application/dicom+xml"'
    )
    headers = {"Accept": "text/html"}
    assert requests.get(f"{url}/studies", headers=headers, timeout=10).status_code == 406
    headers = {"Accept": "application/dicom+json"}
    assert requests.get(f"{url}/studies", headers=headers, timeout=10).status_code == 200
