"""Derive dicomkit/client/aio.py from dicomkit/client/sync.py.

The async client is the sync client with ``await`` in the right places, so it is generated:
``python tests/client/twin.py && ruff format dicomkit/client`` rewrites aio.py, and
``test_twins.py`` fails when the checked-in aio.py drifts from what this produces.
"""

from __future__ import annotations

import re
from pathlib import Path

CLIENT = Path(__file__).resolve().parents[2] / "dicomkit" / "client"

HEADER = (
    '"""AsyncDicomClient: the asyncio DICOMweb client, method for method the twin of '
    "DicomClient.\n\n"
    "Every method of :class:`~dicomkit.client.sync.DicomClient` exists here with the same\n"
    "arguments; coroutines are awaited and the ``iter_*`` methods are async generators. This file"
    " is\ngenerated from sync.py by tests/client/twin.py; edit sync.py and regenerate.\n"
    '"""'
)

# Plain substitutions, applied in order; each must match, so a change to sync.py that the
# generator does not understand fails loudly.
REPLACEMENTS = [
    (
        'class DicomClient(SyncDriver):\n    """A DICOMweb client (QIDO-RS, WADO-RS, STOW-RS, '
        "DELETE) over a pluggable sync transport.\n\n"
        '    ``transport`` is a registered name ("requests", "urllib3", "httpx"), a Transport '
        "class",
        'class AsyncDicomClient(AsyncDriver):\n    """The asyncio DICOMweb client; same methods and'
        " arguments as DicomClient, awaited.\n\n"
        '    ``transport`` is a registered name ("aiohttp", "httpx"), an AsyncTransport class',
    ),
    (
        "from collections.abc import Iterable, Iterator,",
        "from collections.abc import AsyncIterator, Iterable,",
    ),
    ("import os\n", "import asyncio\nimport os\n"),
    ("from dicomkit.client._sync_driver import SyncDriver\n", ""),
    (
        "from dicomkit.client._base import ",
        "from dicomkit.client._aio_driver import AsyncDriver\nfrom dicomkit.client._base import ",
    ),
    ('__all__ = ["DicomClient"]', '__all__ = ["AsyncDicomClient"]'),
    ("-> Iterator[", "-> AsyncIterator["),
    ("response.read()", "await response.aread()"),
    ("with response:", "async with response:"),
    ("for chunk in response.iter_bytes():", "async for chunk in response.aiter_bytes():"),
    (
        "yield from pager.accept(items, headers)",
        "for item in pager.accept(items, headers):\n                yield item",
    ),
    (
        "return list(self._iter_search(level, study, series, **kw))",
        "return [item async for item in self._iter_search(level, study, series, **kw)]",
    ),
    (
        'return unique_uids([first_value(s, "StudyInstanceUID") for s in studies])',
        'return unique_uids([first_value(s, "StudyInstanceUID") async for s in studies])',
    ),
    (
        "        yield from self._parts(request)\n",
        "        async for part in self._parts(request):\n            yield part\n",
    ),
    (
        "        for _, body in parts:\n            yield dataset_from_bytes(body)\n",
        "        async for _, body in parts:\n            yield dataset_from_bytes(body)\n",
    ),
    ("return single_dataset(list(parts))", "return single_dataset([part async for part in parts])"),
    (
        "        for _, body in self._parts(request):\n            yield body\n",
        "        async for _, body in self._parts(request):\n            yield body\n",
    ),
    ("parts = list(self._parts(request))", "parts = [part async for part in self._parts(request)]"),
    ("plan = FolderUpload(", "plan = await asyncio.to_thread(FolderUpload, "),
    ("scanned = sniff_file(", "scanned = await asyncio.to_thread(sniff_file, "),
]

AWAITED = (
    "_items|_json|_done|_ok|_send|_store_batch|store_instances|_rendered|_search|_bulk"
    "|_concurrently"
)
"""Methods that are coroutines on the async driver: every call to them is awaited."""


def _iter_search(match: re.Match[str]) -> str:
    return (
        "        async for item in self._iter_search(\n"
        + match.group(1)
        + "\n        ):\n            yield item\n"
    )


def _collect(match: re.Match[str]) -> str:
    return f"return [item async for item in {match.group(1)}({match.group(2)})]\n"


def generate(sync_source: str) -> str:
    """The source of aio.py for this sync.py (unformatted: compare ASTs, not text)."""
    text = HEADER + sync_source.split('"""', 2)[2]
    for old, new in REPLACEMENTS:
        if old not in text:
            raise ValueError(f"sync.py no longer contains {old!r}: update twin.py")
        text = text.replace(old, new)
    text = re.sub(r"^    def ", "    async def ", text, flags=re.M)
    text = re.sub(rf"(?<!await )self\.({AWAITED})\(", r"await self.\1(", text)
    text = re.sub(
        r"        return self\._iter_search\(\n(.*?)\n        \)\n", _iter_search, text, flags=re.S
    )
    return re.sub(r"return list\(\s*(self\.iter_\w+)\((.*?)\)\s*\)\n", _collect, text, flags=re.S)


if __name__ == "__main__":
    (CLIENT / "aio.py").write_text(generate((CLIENT / "sync.py").read_text()))
