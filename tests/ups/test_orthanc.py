"""Orthanc 1.10 has no UPS-RS: the workitems calls fail with a NotFoundError naming the URL."""

from __future__ import annotations

import pytest
from dicomkit_server.orthanc import OrthancServer

from dicomkit import DicomClient
from dicomkit.core.errors import NotFoundError


def test_orthanc_has_no_workitems(orthanc: OrthancServer, sync_backend: str) -> None:
    with (
        DicomClient(orthanc.url, transport=sync_backend) as client,
        pytest.raises(NotFoundError, match="/workitems"),
    ):
        client.workitems.search()
