"""Turning what a caller passes to ``store_instances`` into Part 10 bytes and STOW items.

Datasets are encoded by :mod:`dicomkit.core.part10`, files stay on disk and are re-opened
on every attempt, and the parts a server returns are parsed back into Datasets. Nothing here
sends or waits, so the blocking and the async client share it (the async one calls it in a
worker thread).

pydicom is imported by the functions that need a Dataset, never by importing this module: a
caller who stores files or bytes never loads it (a Dataset cannot exist before pydicom is
imported, so telling one apart needs no import either).
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Union

from dicomkit.core.errors import InvalidArgumentError, ProtocolError
from dicomkit.core.interface import Headers
from dicomkit.core.part10 import part10_bytes
from dicomkit.core.stow import Opener, StowItem

if TYPE_CHECKING:
    from typing import TypeAlias

    from pydicom.dataset import Dataset
    from typing_extensions import TypeIs

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "InstanceInput",
    "dataset_from_bytes",
    "headerless_part10",
    "is_dataset",
    "part10_bytes",
    "single_dataset",
    "stow_items",
]

DEFAULT_CHUNK_SIZE = 1 << 20
"""Bytes read from a file at a time when a STOW body is streamed."""

InstanceInput: TypeAlias = Union[
    "Dataset", str, os.PathLike[str], bytes, bytearray, memoryview, BinaryIO
]
"""One instance for STOW-RS: a Dataset, a file path, Part 10 bytes, or a binary file object."""


def is_dataset(value: object) -> TypeIs[Dataset]:
    """Whether ``value`` is a pydicom Dataset, without importing pydicom when it is not loaded."""
    module = sys.modules.get("pydicom.dataset")
    return module is not None and isinstance(value, module.Dataset)


def single_dataset(parts: Sequence[tuple[Headers, bytes]]) -> Dataset:
    """The one Dataset of a single-instance retrieve."""
    if not parts:
        raise ProtocolError("the server answered with no instance")
    return dataset_from_bytes(parts[0][1])


def dataset_from_bytes(data: bytes, where: str = "part") -> Dataset:
    """A pydicom Dataset from a part's bytes; a parse failure becomes a ProtocolError.

    The buffer is closed after reading: pydicom keeps it on ``Dataset.buffer``, and an open
    one would hold the whole part alive beside the element values copied out of it (twice
    the memory for a retrieved study).
    """
    import pydicom

    problem = "it has no SOPInstanceUID"
    try:
        with io.BytesIO(data) as buffer:
            dataset = pydicom.dcmread(buffer, force=True)
        meta = dataset.get("file_meta") or {}
        if "SOPInstanceUID" in dataset or "MediaStorageSOPInstanceUID" in meta:
            return dataset
    except Exception as exc:  # pydicom raises many types on damaged data
        problem = str(exc)
    raise ProtocolError(f"the server sent a {where} that is not a DICOM instance: {problem}")


def headerless_part10(path: str | os.PathLike[str]) -> bytes:
    """A data set stored without preamble and ``DICM``, re-encoded as a Part 10 file.

    pydicom reads it with ``force=True``; the file meta it lacks is built from the data set
    (the transfer syntax it was read with). InvalidArgumentError when it cannot be encoded.
    """
    import pydicom

    try:
        dataset = pydicom.dcmread(Path(path).expanduser(), force=True)
    except OSError as exc:
        raise InvalidArgumentError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except Exception as exc:  # pydicom raises many types on damaged data
        raise InvalidArgumentError(f"cannot read {path} as DICOM: {exc}") from exc
    return part10_bytes(dataset)


def _path_opener(path: Path) -> Opener:
    def opener() -> AbstractContextManager[BinaryIO]:
        return open(path, "rb")

    return opener


def _handle_opener(handle: BinaryIO, start: int) -> Opener:
    @contextmanager
    def opener() -> Iterator[BinaryIO]:
        handle.seek(start)
        yield handle

    return opener


def stow_items(
    instances: Iterable[InstanceInput] | InstanceInput, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> list[StowItem]:
    """Each instance as a StowItem: files stay on disk and are re-read on every attempt."""
    if (
        isinstance(instances, (str, os.PathLike, bytes, bytearray, memoryview))
        or is_dataset(instances)
        or hasattr(instances, "read")
    ):
        instances = [instances]  # type: ignore[list-item]
    items: list[StowItem] = []
    for index, instance in enumerate(instances):
        items.append(_stow_item(instance, index, chunk_size))
    if not items:
        raise InvalidArgumentError("no instances to store")
    return items


def _stow_item(instance: Any, index: int, chunk_size: int) -> StowItem:
    if is_dataset(instance):
        uid = str(instance.get("SOPInstanceUID", "")) or None
        return StowItem(part10_bytes(instance), label=f"dataset {uid}", sop_instance_uid=uid)
    if isinstance(instance, (bytes, bytearray, memoryview)):
        return StowItem(bytes(instance), label=f"bytes #{index}")
    if isinstance(instance, (str, os.PathLike)):
        path = Path(instance).expanduser()
        try:
            size = path.stat().st_size
        except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
            message = exc.strerror if isinstance(exc, OSError) else None
            raise InvalidArgumentError(f"cannot read {path!s}: {message or exc}") from exc
        if not path.is_file():
            raise InvalidArgumentError(f"{path} is not a file")
        return StowItem(_path_opener(path), length=size, label=str(path))
    if hasattr(instance, "read"):
        return _handle_item(instance, index, chunk_size)
    raise InvalidArgumentError(
        "an instance is a pydicom Dataset, a path, bytes or a binary file object, "
        f"not {type(instance).__name__}"
    )


def _handle_item(handle: Any, index: int, chunk_size: int) -> StowItem:
    label = str(getattr(handle, "name", f"file object #{index}"))
    try:
        seekable = bool(handle.seekable())
    except (AttributeError, OSError, ValueError):
        seekable = False
    if seekable:
        start = handle.tell()
        end = handle.seek(0, os.SEEK_END)
        handle.seek(start)
        return StowItem(_handle_opener(handle, start), length=end - start, label=label)
    data = bytearray()
    while chunk := handle.read(chunk_size):
        if not isinstance(chunk, (bytes, bytearray)):
            raise InvalidArgumentError(f"{label} is not opened in binary mode")
        data += chunk
    return StowItem(bytes(data), label=label)
