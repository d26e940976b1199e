"""The checker's result: one row per probed feature, shown as a table or as JSON.

A row says what was asked, what the server did (the verdict) and why we think so (the
evidence: status, the header that mattered, a count). Rows are data so that tests can pin the
table of a known server and scripts can read ``--json``.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field

__all__ = ["Report", "Row", "Verdict"]


class Verdict(str, enum.Enum):
    """How the server handled one feature."""

    SUPPORTED = "supported"
    DEVIATION = "deviation"
    """Works, but not as PS3.18 says (the note says how)."""
    UNSUPPORTED = "not supported"
    NOT_PROBED = "not probed"
    """Nothing to probe with (an empty server in read-only mode) or a write probe without
    ``--write``."""


@dataclass(frozen=True)
class Row:
    """One feature: ``area`` (QIDO, WADO, ...), ``feature``, the verdict and its evidence."""

    area: str
    feature: str
    verdict: Verdict
    evidence: str = ""
    note: str = ""

    def as_dict(self) -> dict[str, str]:
        fields = asdict(self)
        fields["verdict"] = self.verdict.value
        return fields


@dataclass
class Report:
    """All rows of one check, in probing order, and what the client needs (the dialect)."""

    url: str
    rows: list[Row] = field(default_factory=list)
    dialect: str = "standard"
    wrote: bool = False

    def add(self, rows: Iterable[Row]) -> None:
        self.rows.extend(rows)

    def __iter__(self) -> Iterator[Row]:
        return iter(self.rows)

    def find(self, area: str, feature: str) -> Row:
        """The row of ``feature`` in ``area`` (KeyError when it was never probed)."""
        for row in self.rows:
            if row.area == area and row.feature == feature:
                return row
        raise KeyError(f"{area}: {feature}")

    def verdicts(self) -> dict[str, str]:
        """``{"AREA: feature": verdict}``: the shape tests pin for a known server."""
        return {f"{row.area}: {row.feature}": row.verdict.value for row in self.rows}

    def to_json(self) -> str:
        document = {
            "url": self.url,
            "dialect": self.dialect,
            "wrote": self.wrote,
            "rows": [row.as_dict() for row in self.rows],
        }
        return json.dumps(document, indent=2)

    def to_table(self) -> str:
        """A plain-text table (Markdown pipes, so it pastes into docs and issues)."""
        header = ("area", "feature", "result", "evidence")
        lines = [(row.area, row.feature, row.verdict.value, _evidence(row)) for row in self.rows]
        widths = [max(len(line[i]) for line in (header, *lines)) for i in range(3)]

        def render(cells: tuple[str, str, str, str]) -> str:
            padded = [cell.ljust(width) for cell, width in zip(cells, widths, strict=False)]
            return "| " + " | ".join([*padded, cells[3]]) + " |"

        rule = "|" + "|".join("-" * (width + 2) for width in widths) + "|---|"
        body = [render(header), rule, *(render(line) for line in lines)]
        body.append("")
        body.append(f"dialect to use: {self.dialect}")
        return "\n".join(body)


def _evidence(row: Row) -> str:
    return f"{row.evidence}; {row.note}" if row.note and row.evidence else row.evidence or row.note
