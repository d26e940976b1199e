"""What a spawned worker runs: it receives a pickled client or config and makes real requests.

A module of its own, so that a 'spawn' child can import these functions by name.
"""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

from dicomkit import AsyncDicomClient, ClientConfig, DicomClient


def search_and_download(client: DicomClient, study: str, out: str) -> tuple[list[str], list[str]]:
    """The studies' UIDs the worker's client finds, and the SHA-256 of every file it wrote."""
    with client:
        found = [item["0020000D"]["Value"][0] for item in client.search_for_studies()]
        written = client.download_dicom(out, study)
    return sorted(found), sorted(hashlib.sha256(Path(p).read_bytes()).hexdigest() for p in written)


def async_search(config: ClientConfig) -> list[str]:
    async def run() -> list[str]:
        client: AsyncDicomClient = config.async_client()
        async with client:
            return [item["0020000D"]["Value"][0] for item in await client.search_for_studies()]

    return sorted(asyncio.run(run()))
