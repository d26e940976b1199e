"""Bulk frame tests: every installed backend, sync and async, against the reference server and
Orthanc, on a multi-frame instance generated here (each frame's pixels spell its number)."""

from __future__ import annotations

import struct
from collections.abc import Callable

import pytest
from pydicom.dataset import Dataset

from dicomkit.testing.data import make_instance
from tests.client.conftest import QUICK_RETRY, pytest_generate_tests

__all__ = ["QUICK_RETRY", "frame_bytes", "numbered_instance", "pytest_generate_tests"]

ROWS = COLS = 4


def frame_bytes(number: int, rows: int = ROWS, cols: int = COLS) -> bytes:
    """The native bytes of frame ``number``: 16-bit pixels all equal to it."""
    return struct.pack("<H", number) * (rows * cols)


def numbered_instance(
    frames: int, rows: int = ROWS, cols: int = COLS, **attributes: object
) -> Dataset:
    """A native multi-frame instance whose frame n holds the value n in every pixel."""
    pixels = b"".join(frame_bytes(n, rows, cols) for n in range(1, frames + 1))
    return make_instance(rows=rows, cols=cols, frames=frames, PixelData=pixels, **attributes)


@pytest.fixture
def numbered() -> Callable[..., Dataset]:
    return numbered_instance
