"""PS3.18 QIDO-RS against a reference server that caps answers at 3 results, as capped production
servers do (``Warning: 299 ... There are N additional results``), through every backend of both
clients: a truncated search is followed, raised, warned or returned as asked, never silently
short; values, lists, universal matching and vendor parameters reach it as 8.3.4 says."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import pytest

from dicomkit import AsyncDicomClient, DicomClient
from dicomkit.core.dicomjson import first_value
from dicomkit.core.errors import InvalidArgumentError
from dicomkit.core.operations import SearchResult, SearchTruncatedError, SearchTruncatedWarning
from dicomkit.testing.data import make_instance

CAP = 3
STUDIES = 7


@pytest.fixture
def dicomweb_server_options() -> dict[str, Any]:
    return {"max_results": CAP}


@pytest.fixture
def seven(dicomweb_server: Any) -> list[str]:
    """Seven one-instance studies of patient CAP-1; their StudyInstanceUIDs."""
    studies = [
        make_instance(patient_id="CAP-1", StudyDescription=f"Study {n}") for n in range(STUDIES)
    ]
    with DicomClient(dicomweb_server.url) as client:
        client.store_instances(studies)
    dicomweb_server.requests.clear()
    return sorted(ds.StudyInstanceUID for ds in studies)


def _uids(found: list[dict[str, Any]]) -> list[str]:
    return sorted(str(first_value(item, "StudyInstanceUID")) for item in found)


def _queries(server: Any) -> list[dict[str, str]]:
    return [dict(parse_qsl(r.query)) for r in server.requests if r.path.endswith("/studies")]


def test_sync_a_capped_search_is_followed_to_its_end(
    client: DicomClient, dicomweb_server: Any, seven: list[str]
) -> None:
    found = client.search_for_studies({"PatientID": "CAP-1"})
    assert isinstance(found, SearchResult)
    assert _uids(found) == seven
    assert (found.truncated, found.remaining, found.pages) == (False, None, 3)
    assert [q.get("offset") for q in _queries(dicomweb_server)] == [None, "3", "6"]
    assert any("additional results" in text for text in found.warnings)


async def test_async_a_capped_search_is_followed_to_its_end(
    aclient: AsyncDicomClient, dicomweb_server: Any, seven: list[str]
) -> None:
    found = await aclient.search_for_studies({"PatientID": "CAP-1"})
    assert _uids(found) == seven
    assert (found.truncated, found.pages) == (False, 3)


def test_sync_a_capped_search_can_be_returned_raised_or_warned(
    client: DicomClient, seven: list[str]
) -> None:
    page = client.search_for_studies({"PatientID": "CAP-1"}, on_truncated="return")
    assert (len(page), page.truncated, page.remaining) == (CAP, True, STUDIES - CAP)
    with pytest.raises(SearchTruncatedError) as raised:
        client.search_for_studies(on_truncated="raise")
    assert len(raised.value.result) == CAP
    assert "4 were left out" in str(raised.value)
    with pytest.warns(SearchTruncatedWarning):
        assert len(client.search_for_studies(on_truncated="warn")) == CAP
    with pytest.raises(InvalidArgumentError):
        client.search_for_studies(on_truncated="ignore")


async def test_async_a_capped_search_can_be_returned_raised_or_warned(
    aclient: AsyncDicomClient, seven: list[str]
) -> None:
    page = await aclient.search_for_studies(on_truncated="return")
    assert (len(page), page.truncated, page.remaining) == (CAP, True, STUDIES - CAP)
    with pytest.raises(SearchTruncatedError):
        await aclient.search_for_studies(on_truncated="raise")


def test_sync_a_limit_above_the_cap_is_filled_and_other_ways_see_every_study(
    client: DicomClient, dicomweb_server: Any, seven: list[str]
) -> None:
    five = client.search_for_studies(limit=5)
    assert (len(five), five.truncated) == (5, False)
    assert [(q.get("limit"), q.get("offset")) for q in _queries(dicomweb_server)] == [
        ("5", None),
        ("2", "3"),
    ]
    assert client.search_for_studies(limit=2) == client.search_for_studies()[:2]
    assert _uids(list(client.iter_search_for_studies())) == seven
    assert _uids(client.search_for_studies(get_remaining=True)) == seven
    assert len(client.get_patient_study_ids("CAP-1")) == STUDIES


async def test_async_every_way_sees_every_study(
    aclient: AsyncDicomClient, seven: list[str]
) -> None:
    assert _uids([s async for s in aclient.iter_search_for_studies()]) == seven
    assert len(await aclient.search_for_studies(limit=5)) == 5
    assert len(await aclient.get_patient_study_ids("CAP-1")) == STUDIES


# -- what the query says -------------------------------------------------------------------------


@pytest.fixture
def described(dicomweb_server: Any) -> dict[str, str]:
    """Studies whose values hold a comma, a caret and a date; description -> StudyInstanceUID."""
    made = {
        "CT, Chest": make_instance(
            patient_id="Q-1", patient_name="Doe^Jane", StudyDescription="CT, Chest"
        ),
        "CT": make_instance(patient_id="Q-2", StudyDescription="CT", study_date="20040119"),
        "Chest": make_instance(patient_id="Q-3", StudyDescription="Chest", modality="MR"),
    }
    with DicomClient(dicomweb_server.url) as client:
        client.store_instances(list(made.values()))
    dicomweb_server.requests.clear()
    return {name: ds.StudyInstanceUID for name, ds in made.items()}


def test_sync_a_comma_inside_a_value_is_part_of_it(
    client: DicomClient, dicomweb_server: Any, described: dict[str, str]
) -> None:
    found = client.search_for_studies({"StudyDescription": "CT, Chest"})
    assert _uids(found) == [described["CT, Chest"]]
    assert "StudyDescription=CT%2C%20Chest" in dicomweb_server.requests[-1].query
    either = client.search_for_studies({"StudyDescription": ["CT", "Chest"]})
    assert _uids(either) == sorted([described["CT"], described["Chest"]])
    assert "StudyDescription=CT,Chest" in dicomweb_server.requests[-1].query


async def test_async_a_comma_inside_a_value_is_part_of_it(
    aclient: AsyncDicomClient, described: dict[str, str]
) -> None:
    found = await aclient.search_for_studies({"StudyDescription": "CT, Chest"})
    assert _uids(found) == [described["CT, Chest"]]
    either = await aclient.search_for_studies({"ModalitiesInStudy": "CT,MR"})
    assert len(either) == 3


def test_sync_the_caret_is_percent_encoded_and_still_matches(
    client: DicomClient, dicomweb_server: Any, described: dict[str, str]
) -> None:
    assert _uids(client.search_for_studies({"PatientName": "Doe^Jane"})) == sorted(
        described.values()
    )
    assert "PatientName=Doe%5EJane" in dicomweb_server.requests[-1].query


def test_sync_universal_matching_goes_as_includefield(
    client: DicomClient, dicomweb_server: Any, described: dict[str, str]
) -> None:
    found = client.search_for_studies({"PatientID": "Q-1", "StudyComments": ""})
    assert _uids(found) == [described["CT, Chest"]]
    query = dicomweb_server.requests[-1].query
    assert query == "PatientID=Q-1&includefield=StudyComments"


def test_sync_one_attribute_as_keyword_and_tag_is_sent_once(
    client: DicomClient, dicomweb_server: Any, described: dict[str, str]
) -> None:
    # The reference server, like Microsoft's, refuses an attribute given twice with 400.
    found = client.search_for_studies({"PatientID": "Q-2", "00100020": "Q-2"})
    assert _uids(found) == [described["CT"]]
    assert dicomweb_server.requests[-1].query == "PatientID=Q-2"
    with pytest.raises(InvalidArgumentError, match="same attribute"):
        client.search_for_studies({"PatientID": "Q-2", "(0010,0020)": "Q-3"})


def test_sync_vendor_and_newer_parameters_reach_the_server(
    client: DicomClient, dicomweb_server: Any, described: dict[str, str]
) -> None:
    found = client.search_for_studies(
        {"PatientID": "Q-*"},
        emptyvaluematching=False,
        multiplevaluematching=True,
        extra_params={"includedefaults": False, "orderby": "-StudyDate"},
    )
    assert len(found) == 3
    query = dicomweb_server.requests[-1].query
    assert query.endswith(
        "&emptyvaluematching=false&multiplevaluematching=true"
        "&includedefaults=false&orderby=-StudyDate"
    )
    assert any("'orderby' is not supported" in text for text in found.warnings)


@pytest.mark.parametrize(
    "date",
    [
        "2004-01-19",
        "20040119",
        "2004-01-18/2004-01-20",
        "20040101-20040131",
        ("20040101", "20040120"),
    ],
)
def test_sync_dates_as_iso_or_dicom_text(
    client: DicomClient, described: dict[str, str], date: Any
) -> None:
    assert _uids(client.search_for_studies({"StudyDate": date})) == [described["CT"]]


async def test_async_dates_and_bad_values(
    aclient: AsyncDicomClient, described: dict[str, str]
) -> None:
    import datetime

    found = await aclient.search_for_studies({"StudyDate": datetime.date(2004, 1, 19)})
    assert _uids(found) == [described["CT"]]
    for bad in ({"StudyDate": "19th January"}, {"StudyDate": 20040119}, {"StudyTime": "noon"}):
        with pytest.raises(InvalidArgumentError):
            await aclient.search_for_studies(bad)
    with pytest.raises(InvalidArgumentError, match="limit"):
        await aclient.search_for_studies(limit=0)
