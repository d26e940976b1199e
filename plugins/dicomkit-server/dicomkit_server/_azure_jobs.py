"""The reference server's long-running operations: reindexing for extended query tags, bulk
update of study attributes, export. Each runs as an asyncio task on the server's loop, one
instance at a time with a yield between, so clients see it running and can poll it."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from dicomkit_server._azure_tags import QueryTag, now_text
from dicomkit_server._store import InstanceRecord, Store

__all__ = ["UPDATABLE", "Operation", "Operations", "export_one", "update_one"]

UPDATABLE = frozenset(
    {
        "00100010", "00100020", "00100021", "00100030", "00100040", "00101000", "00101001",
        "00101010", "00102160", "00104000", "00080050", "00080090", "00081030", "00200010",
        "00080020", "00080030", "00321060",
    }
)  # fmt: skip
"""Patient and study attributes a bulk update may change."""
STEP_DELAY = 0.01
"""Seconds an operation waits between instances, so that it is seen running."""


@dataclasses.dataclass
class Operation:
    id: str
    type: str
    created: str
    updated: str
    status: str = "notStarted"
    percent: int = 0
    resources: list[str] = dataclasses.field(default_factory=list)
    results: dict[str, Any] | None = None
    errors: list[str] = dataclasses.field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "operationId": self.id,
            "type": self.type,
            "createdTime": self.created,
            "lastUpdatedTime": self.updated,
            "status": self.status,
            "percentComplete": self.percent,
            "resources": self.resources,
        }
        if self.results is not None:
            document["results"] = self.results
        if self.errors:
            document["errors"] = self.errors
        return document

    @property
    def done(self) -> bool:
        return self.status in ("completed", "failed", "canceled")


class Operations:
    """Every operation of one server, and the tasks running them."""

    def __init__(self) -> None:
        self.known: dict[str, Operation] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def start(
        self,
        kind: str,
        items: list[Any],
        step: Callable[[Any, Operation], Awaitable[None]],
        resources: list[str] | None = None,
        finish: Callable[[Operation], None] | None = None,
    ) -> Operation:
        """Run ``step(item, operation)`` for each item in a task; ``finish`` at the end."""
        stamp = now_text()
        operation = Operation(uuid.uuid4().hex, kind, stamp, stamp, resources=resources or [])
        self.known[operation.id] = operation

        async def run() -> None:
            operation.status = "running"
            try:
                for done, item in enumerate(items, start=1):
                    await asyncio.sleep(STEP_DELAY)
                    await step(item, operation)
                    operation.percent = int(done * 100 / len(items))
                    operation.updated = now_text()
                operation.percent = 100
                if finish is not None:
                    finish(operation)
                if operation.status == "running":
                    operation.status = "completed"
            except Exception as exc:  # a broken job is reported, not lost
                operation.errors.append(f"{type(exc).__name__}: {exc}")
                operation.status = "failed"
            operation.updated = now_text()

        task = asyncio.ensure_future(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return operation


def reindex_step(tags: list[QueryTag]) -> Callable[[Any, Operation], Awaitable[None]]:
    async def step(record: InstanceRecord, operation: Operation) -> None:
        for tag in tags:
            tag.index(record)

    return step


def update_one(
    store: Store, record: InstanceRecord, changes: dict[str, Any], incoming: Path
) -> InstanceRecord:
    """Write the instance again with ``changes`` (DICOM JSON) applied, file and index."""
    from pydicom import dcmread
    from pydicom.dataset import Dataset

    dataset = dcmread(str(record.path))
    for element in Dataset.from_json(changes):
        dataset[element.tag] = element
    target = incoming / f"update-{uuid.uuid4().hex}.dcm"
    dataset.save_as(str(target), enforce_file_format=True)
    metadata = {**record.metadata, **changes}
    return store.put(
        partition=record.partition,
        study=record.study,
        series=record.series,
        sop=record.sop,
        sop_class=record.sop_class,
        transfer_syntax=record.transfer_syntax,
        metadata=dict(sorted(metadata.items())),
        source=target,
    )


def export_one(record: InstanceRecord, folder: Path) -> None:
    """Copy one instance's file to ``folder/{study}/{series}/{sop}.dcm``."""
    target = folder / record.study / record.series / f"{record.sop}.dcm"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(record.path.read_bytes())
