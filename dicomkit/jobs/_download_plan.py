"""What a download run asks for: the targets' listings turned into units of work.

A study target is expanded into one target per series (one QIDO-RS query at series level,
which also says how many instances each holds). A series nothing of which is journaled yet
is fetched whole without listing its instances first (Orthanc takes longer to list a study's
instances than to send them); its instances are journaled as they are written, and the
series counts as listed once its last group is. A series broken midway, or met again after a
kill, is listed (QIDO-RS at instance level) and what is missing asked for one by one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any, NamedTuple

from dicomkit.core.errors import InvalidArgumentError
from dicomkit.core.uids import validate_uid
from dicomkit.jobs._journal import Item, Journal
from dicomkit.jobs._model import PENDING

__all__ = [
    "INSTANCE_LISTING",
    "SERIES_LISTING",
    "Listing",
    "SeriesRows",
    "Target",
    "Unit",
    "add_pending",
    "boot_id",
    "expand",
    "expected_key",
    "instance_pairs",
    "item_uids",
    "make_units",
    "series_rows",
    "target_row",
    "unlisted_pending",
]

Target = str | tuple[str] | tuple[str, str] | tuple[str, str, str]
"""A study UID, or a (study, series) or (study, series, instance) tuple of UIDs."""

INSTANCE_LISTING: dict[str, Any] = {
    "fields": ["SeriesInstanceUID", "SOPInstanceUID"],
    "get_remaining": True,
}
"""The QIDO-RS query that lists a target's instances, every page."""
SERIES_LISTING: dict[str, Any] = {
    "fields": ["SeriesInstanceUID", "NumberOfSeriesRelatedInstances"],
    "get_remaining": True,
}
"""The QIDO-RS query that lists a study's series with their instance counts."""

Listing = list[tuple[str, str]] | str
"""(series, SOP) pairs found, or why the target failed."""
SeriesRows = list[tuple[str, int | None]] | str
"""(series, instance count if the server said) rows found, or why the study failed."""

_TARGET_KEYS = ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID")
_UNIT_KEYS = -(1 << 40)
"""Meter keys of whole-series requests: below every item's (``-item.id``)."""


class Unit(NamedTuple):
    """One request's worth of work: a whole series, or one instance.

    ``streamed``: the series targets a whole-series unit lists by fetching (journaled as
    listed with its last group); ``known``: SOPs of the series the journal holds already in
    another state, never written again; ``expected``: the instances the server counts."""

    study: str
    series: str
    items: tuple[Item, ...]
    whole_series: bool
    key: int
    streamed: tuple[int, ...] = ()
    known: frozenset[str] = frozenset()
    expected: int | None = None


def target_row(target: Target) -> tuple[str, str | None, str | None]:
    """A target's (study, series, SOP) UIDs, validated (InvalidArgumentError)."""
    parts = (target,) if isinstance(target, str) else tuple(target)
    if not 1 <= len(parts) <= 3:
        raise InvalidArgumentError(f"a download target is 1 to 3 UIDs, not {target!r}")
    checked = [validate_uid(uid, key) for uid, key in zip(parts, _TARGET_KEYS, strict=False)]
    study, series, sop = ([*checked, None, None])[:3]
    return study or "", series, sop


def instance_pairs(found: list[dict[str, Any]], series: str | None) -> list[tuple[str, str]]:
    """(series, SOP) UIDs of listed instances, validated (they become folder names)."""
    pairs: list[tuple[str, str]] = []
    for instance in found:
        se = _first(instance, "0020000E") or series
        so = _first(instance, "00080018")
        if se and so:
            pairs.append(
                (validate_uid(se, "SeriesInstanceUID"), validate_uid(so, "SOPInstanceUID"))
            )
    return pairs


def series_rows(found: list[dict[str, Any]]) -> list[tuple[str, int | None]]:
    """(series UID, instance count or None) of listed series, UIDs validated."""
    rows: list[tuple[str, int | None]] = []
    for series in found:
        uid = _first(series, "0020000E")
        if uid:
            count = _first(series, "00201209")
            number = int(count) if count is not None and count.strip().isdigit() else None
            rows.append((validate_uid(uid, "SeriesInstanceUID"), number))
    return rows


def _first(found: dict[str, Any], tag: str) -> str | None:
    values = found.get(tag, {}).get("Value") or []
    return str(values[0]) if values else None


def item_uids(item: Item) -> tuple[str, str, str]:
    return (item.study or "", item.series or "", item.sop or "")


def expand(journal: Journal, ident: int, study: str, rows: SeriesRows) -> None:
    """Replace a study target by one target per series found (those not targeted yet), or
    fail it, in one transaction."""
    failure = rows if isinstance(rows, str) else None
    if not rows:
        failure = "the server lists no series of it"
    with journal.transaction() as db:
        if failure is None and not isinstance(rows, str):
            taken = {
                str(series)
                for (series,) in db.execute(
                    "SELECT series FROM targets WHERE study = ? AND series IS NOT NULL"
                    " AND sop IS NULL",
                    (study,),
                )
            }
            db.executemany(
                "INSERT INTO targets (study, series, sop, state) VALUES (?, ?, NULL, 'pending')",
                ((study, series) for series, _ in rows if series not in taken),
            )
            Journal.put_meta(
                db, {expected_key(study, series): str(n) for series, n in rows if n is not None}
            )
        db.execute(
            "UPDATE targets SET state = ?, reason = ? WHERE id = ?",
            ("failed" if failure else "expanded", failure, ident),
        )


def expected_key(study: str, series: str) -> str:
    """The journal setting that keeps a series' instance count while it is not listed."""
    return f"expected:{study}/{series}"


def unlisted_pending(journal: Journal) -> int:
    """Instances of series not listed yet beyond the one pending item each counts as in
    ``Journal.counts``, where the server said how many there are: so a job's status shows
    the instances left, not the series."""
    streams = [(st, se) for _, st, se, so in journal.targets(PENDING) if se and not so]
    if not streams:
        return 0
    held: dict[tuple[str, str], int] = {}
    for item in journal.items():
        key = (item.study or "", item.series or "")
        held[key] = held.get(key, 0) + 1
    extra = 0
    for study, series in streams:
        count = journal.meta(expected_key(study, series))
        if count is not None and count.isdigit():
            extra += max(int(count) - held.get((study, series), 0), 0) - 1
    return extra


def add_pending(db: sqlite3.Connection, study: str, pairs: Iterable[tuple[str, str]]) -> None:
    """Journal instances as pending items (inside the caller's transaction)."""
    Journal.add_items(
        db,
        ((f"{study}/{se}/{so}", study, se, so, None, PENDING, None, None) for se, so in pairs),
    )


def make_units(
    journal: Journal, expected: dict[tuple[str, str], int | None]
) -> tuple[list[Unit], int | None]:
    """The run's units and the instances it should end with (None: a count is unknown).

    Streamed series (targets still pending after the listing) are whole units holding their
    pending items; elsewhere a series is asked for whole where nothing of it is written yet,
    and its instances one by one otherwise."""
    everything = journal.items()
    by_series: dict[tuple[str, str], list[Item]] = {}
    for item in everything:
        by_series.setdefault((item.study or "", item.series or ""), []).append(item)
    streams: dict[tuple[str, str], list[int]] = {}
    for ident, study, series, _ in journal.targets(PENDING):
        if series is not None:
            streams.setdefault((study, series), []).append(ident)
    units: list[Unit] = []
    total: int | None = len(everything) + len(journal.targets("failed"))
    for (study, series), idents in streams.items():
        held = by_series.pop((study, series), [])
        count = expected.get((study, series))
        total = None if total is None or count is None else total - len(held) + count
        units.append(
            Unit(
                study,
                series,
                tuple(item for item in held if item.state == PENDING),
                True,
                _UNIT_KEYS - len(units),
                streamed=tuple(idents),
                known=frozenset(item.sop or "" for item in held if item.state != PENDING),
                expected=count,
            )
        )
    for (study, series), items in by_series.items():
        pending = tuple(item for item in items if item.state == PENDING)
        if len(pending) > 1 and len(pending) == len(items):
            units.append(Unit(study, series, pending, True, _UNIT_KEYS - len(units)))
        else:
            units.extend(Unit(study, series, (item,), False, -item.id) for item in pending)
    return units, total


def boot_id() -> str:
    """This boot of the machine ("?" where the system does not say): a journal written by a
    run without fsync under another boot may have lost data in a power cut or crash."""
    try:  # bytes: a text file with encoding="ascii" imports that codec (0.4 ms of a start)
        with open("/proc/sys/kernel/random/boot_id", "rb") as handle:
            return handle.read().decode("ascii", "replace").strip() or "?"
    except OSError:
        return "?"
