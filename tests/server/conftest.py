"""Plain-HTTP helpers for the reference server tests: requests plus a tiny multipart reader
written here, so these tests do not lean on dicomkit's own codec or client."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import pytest
import requests
from pydicom.dataset import Dataset

from dicomkit.testing.data import dataset_bytes

Part = tuple[dict[str, str], bytes]


def _split_multipart(content_type: str, body: bytes) -> list[Part]:
    """Parts of a multipart body, by plain splitting on the delimiter (fine for test sizes)."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    assert match, f"no boundary in {content_type!r}"
    delimiter = b"--" + match.group(1).encode()
    assert body.startswith(delimiter), "body does not start with the delimiter"
    pieces = body.split(b"\r\n" + delimiter)
    assert len(pieces) > 1, "no part ends"
    assert body.rstrip(b"\r\n").endswith(delimiter + b"--"), "missing closing delimiter"
    first = pieces[0][len(delimiter) :]
    parts = []
    for piece in [first, *pieces[1:-1]]:
        assert piece.startswith(b"\r\n")
        head, _, payload = piece[2:].partition(b"\r\n\r\n")
        headers = {}
        for line in head.decode("latin-1").split("\r\n"):
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        parts.append((headers, payload))
    return parts


def build_multipart(
    bodies: Sequence[bytes], part_type: str = "application/dicom"
) -> tuple[str, bytes]:
    boundary = uuid.uuid4().hex
    chunks = []
    for body in bodies:
        chunks.append(
            f"--{boundary}\r\nContent-Type: {part_type}\r\n\r\n".encode() + body + b"\r\n"
        )
    chunks.append(f"--{boundary}--\r\n".encode())
    content_type = f'multipart/related; type="application/dicom"; boundary={boundary}'
    return content_type, b"".join(chunks)


StoreFn = Callable[..., requests.Response]


@pytest.fixture
def stow() -> StoreFn:
    """POST datasets (or raw part bodies) to ``url``/studies[/study] and return the response."""

    def store(
        url: str,
        items: Sequence[Dataset | bytes],
        *,
        study: str | None = None,
        part_type: str = "application/dicom",
        **kw: Any,
    ) -> requests.Response:
        bodies = [item if isinstance(item, bytes) else dataset_bytes(item) for item in items]
        content_type, body = build_multipart(bodies, part_type)
        target = f"{url}/studies" + (f"/{study}" if study else "")
        headers = {"Content-Type": content_type, "Accept": "application/dicom+json"}
        headers.update(kw.pop("headers", {}))
        return requests.post(target, data=body, headers=headers, timeout=30, **kw)

    return store


@pytest.fixture
def split_multipart() -> Callable[[str, bytes], list[Part]]:
    """Parse a multipart response body into (lower-cased headers, payload) pairs."""
    return _split_multipart


@pytest.fixture
def url(dicomweb_server: Any) -> str:
    """DICOMweb root of a freshly reset reference server."""
    return str(dicomweb_server.url)
