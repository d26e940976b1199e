"""``OPTIONS`` capabilities (PS3.18 8.9) read through every backend of both clients, against the
reference server (which answers them) and Orthanc (which does not)."""

from __future__ import annotations

from typing import Any

import pytest

from dicomkit import AsyncDicomClient, DicomClient
from dicomkit.core.errors import InvalidArgumentError, NotFoundError

from .conftest import QUICK_RETRY


def test_sync_capabilities_of_the_root_and_of_a_resource(
    client: DicomClient, dicomweb_server: Any
) -> None:
    root = client.capabilities()
    assert root.content_type == "application/vnd.sun.wadl+xml"
    assert b"SearchForStudies" in root.body
    assert {"GET", "POST", "OPTIONS"} <= set(root.allow)
    sent = dicomweb_server.requests[-1]
    assert (sent.method, sent.path) == ("OPTIONS", "/")
    assert sent.headers["Accept"].startswith("application/vnd.sun.wadl+xml")
    studies = client.capabilities("studies")
    assert set(studies.allow) == {"GET", "HEAD", "POST", "OPTIONS"}
    with pytest.raises(InvalidArgumentError):
        client.capabilities("../admin")


async def test_async_capabilities(aclient: AsyncDicomClient) -> None:
    root = await aclient.capabilities()
    assert b"<application" in root.body
    assert "DELETE" in (await aclient.capabilities("studies/1.2.3")).allow


def test_sync_a_server_without_options_says_so(orthanc: Any, sync_backend: str) -> None:
    # Orthanc 1.10 has no Retrieve Capabilities transaction: OPTIONS on its root is a 404.
    client = DicomClient(orthanc.url, transport=sync_backend, retry=QUICK_RETRY)
    with client, pytest.raises(NotFoundError, match="OPTIONS"):
        client.capabilities()
