"""Basic auth end to end against a real Orthanc with ``RegisteredUsers`` (fixture
``orthanc_with_auth``): a wrong password is a clear UnauthorizedError, the right one works.

Orthanc binds 0.0.0.0, so these run in a private network namespace:
``unshare --net sh -c 'ip link set lo up && python -m pytest tests/auth'`` (``nox -s tests``).
"""

from __future__ import annotations

from typing import Any

import pytest
from dicomkit_server.orthanc import OrthancServer

from dicomkit.auth import BasicAuth
from dicomkit.client import AsyncDicomClient, DicomClient
from dicomkit.core.errors import UnauthorizedError
from dicomkit.testing.data import make_instance


def _alice(server: OrthancServer) -> tuple[str, str]:
    assert server.users is not None
    return "alice", server.users["alice"]


@pytest.mark.parametrize("auth", [None, ("alice", "not-the-password"), ("mallory", "x")])
def test_missing_or_wrong_credentials_are_a_clear_401(
    orthanc_with_auth: OrthancServer, auth: Any
) -> None:
    client = DicomClient(orthanc_with_auth.url, auth=auth, retry=False)
    with client, pytest.raises(UnauthorizedError) as caught:
        client.search_for_studies()
    error = caught.value
    assert error.status == 401
    assert "401" in str(error)
    assert "/studies" in str(error)
    if auth is not None:
        assert auth[1] not in str(error)
        assert auth[1] not in repr(error)


def test_right_password_stores_searches_and_retrieves(orthanc_with_auth: OrthancServer) -> None:
    dataset = make_instance(rows=8, cols=8)
    with DicomClient(orthanc_with_auth.url, auth=_alice(orthanc_with_auth)) as client:
        result = client.store_instances([dataset])
        assert result.ok
        studies = client.search_for_studies()
        assert [s["0020000D"]["Value"][0] for s in studies] == [dataset.StudyInstanceUID]
        [retrieved] = client.retrieve_study(dataset.StudyInstanceUID)
        assert retrieved.SOPInstanceUID == dataset.SOPInstanceUID


async def test_async_client_with_basic_auth(orthanc_with_auth: OrthancServer) -> None:
    user, password = _alice(orthanc_with_auth)
    async with AsyncDicomClient(orthanc_with_auth.url, auth=BasicAuth(user, password)) as client:
        assert await client.search_for_studies() == []
    async with AsyncDicomClient(orthanc_with_auth.url, auth=(user, "wrong"), retry=False) as bad:
        with pytest.raises(UnauthorizedError):
            await bad.search_for_studies()
