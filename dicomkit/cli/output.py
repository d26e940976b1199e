"""Printing DICOM JSON results as a table, JSON, JSON Lines or CSV.

Rows stream where the format allows (jsonl, csv): a search of a million instances prints as
it pages. Columns are DICOM keywords; the common ones are known here by tag, so printing a
search loads no DICOM dictionary unless the user asks for a rarer attribute. Public, so that a
third-party command prints results as the built-in ones do.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TextIO

__all__ = ["FORMATS", "cell", "columns_for", "tag_of", "write_rows"]

FORMATS = ("table", "json", "jsonl", "csv")

_TAGS = {
    "StudyInstanceUID": "0020000D",
    "SeriesInstanceUID": "0020000E",
    "SOPInstanceUID": "00080018",
    "SOPClassUID": "00080016",
    "PatientID": "00100020",
    "PatientName": "00100010",
    "PatientBirthDate": "00100030",
    "PatientSex": "00100040",
    "StudyDate": "00080020",
    "StudyTime": "00080030",
    "StudyID": "00200010",
    "AccessionNumber": "00080050",
    "StudyDescription": "00081030",
    "ModalitiesInStudy": "00080061",
    "Modality": "00080060",
    "SeriesNumber": "00200011",
    "SeriesDescription": "0008103E",
    "InstanceNumber": "00200013",
    "NumberOfFrames": "00280008",
    "Rows": "00280010",
    "Columns": "00280011",
    "NumberOfStudyRelatedSeries": "00201206",
    "NumberOfStudyRelatedInstances": "00201208",
    "NumberOfSeriesRelatedInstances": "00201209",
}

_DEFAULT_COLUMNS = {
    "studies": (
        "StudyInstanceUID",
        "PatientID",
        "PatientName",
        "StudyDate",
        "ModalitiesInStudy",
        "StudyDescription",
        "NumberOfStudyRelatedInstances",
    ),
    "series": (
        "SeriesInstanceUID",
        "Modality",
        "SeriesNumber",
        "SeriesDescription",
        "NumberOfSeriesRelatedInstances",
    ),
    "instances": ("SOPInstanceUID", "SeriesInstanceUID", "SOPClassUID", "InstanceNumber"),
}

_MAX_CELL = 64


def tag_of(name: str) -> str:
    """The 8-hex-digit tag of a keyword or tag (``PatientID``, ``00100020``, ``0010,0020``)."""
    text = name.replace(",", "").strip("()").upper()
    if len(text) == 8 and all(ch in "0123456789ABCDEF" for ch in text):
        return text
    if name in _TAGS:
        return _TAGS[name]
    from pydicom.datadict import tag_for_keyword  # only for a keyword we do not know

    tag = tag_for_keyword(name)
    if tag is None:
        from dicomkit.cli._exit import UsageError

        raise UsageError(f"{name!r} is neither a DICOM keyword nor a tag")
    return f"{tag:08X}"


def columns_for(level: str, fields: Sequence[str]) -> list[str]:
    """The level's usual columns, then the ``--fields`` asked for (``all`` adds none)."""
    columns = list(_DEFAULT_COLUMNS[level])
    for name in fields:
        if name.lower() != "all" and name not in columns:
            columns.append(name)
    return columns


def _text(value: Any) -> str:
    if isinstance(value, dict):
        if "Alphabetic" in value or "Ideographic" in value or "Phonetic" in value:
            return str(value.get("Alphabetic") or value.get("Ideographic") or "")
        return "(item)"
    return "" if value is None else str(value)


def cell(row: dict[str, Any], tag: str) -> str:
    """One attribute of a DICOM JSON object as text; several values are joined with ``\\``."""
    element = row.get(tag) or row.get(tag.lower())
    if not isinstance(element, dict):
        return ""
    values = element.get("Value")
    if not isinstance(values, list):
        return "(bulk data)" if "BulkDataURI" in element or "InlineBinary" in element else ""
    return "\\".join(_text(value) for value in values)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _table(rows: list[dict[str, Any]], columns: list[str], out: TextIO) -> None:
    import shutil

    tags = [tag_of(name) for name in columns]
    cells = [[_clip(cell(row, tag), _MAX_CELL) for tag in tags] for row in rows]
    widths = [max([len(name)] + [len(line[i]) for line in cells]) for i, name in enumerate(columns)]
    # Narrow terminals: drop columns from the right rather than wrap every line.
    room = shutil.get_terminal_size((200, 24)).columns if out.isatty() else 10**6
    shown = len(columns)
    while shown > 1 and sum(widths[:shown]) + 2 * (shown - 1) > room:
        shown -= 1
    header = "  ".join(name.ljust(widths[i]) for i, name in enumerate(columns[:shown]))
    print(header.rstrip(), file=out)
    print("  ".join("-" * widths[i] for i in range(shown)), file=out)
    for line in cells:
        print("  ".join(line[i].ljust(widths[i]) for i in range(shown)).rstrip(), file=out)
    if shown < len(columns):
        print(f"({len(columns) - shown} column(s) hidden: the terminal is too narrow)", file=out)


def write_rows(rows: Iterable[dict[str, Any]], fmt: str, columns: list[str], out: TextIO) -> int:
    """Print ``rows`` in ``fmt``; returns how many were printed."""
    import csv
    import json

    count = 0
    if fmt == "jsonl":
        for row in rows:
            out.write(json.dumps(row, separators=(",", ":")) + "\n")
            count += 1
    elif fmt == "csv":
        tags = [tag_of(name) for name in columns]
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([cell(row, tag) for tag in tags])
            count += 1
    elif fmt == "json":
        collected = list(rows)
        json.dump(collected, out, indent=2)
        out.write("\n")
        count = len(collected)
    else:
        collected = list(rows)
        _table(collected, columns, out)
        count = len(collected)
    return count
