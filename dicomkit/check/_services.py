"""Presence probes for the APIs beyond QIDO/WADO/STOW: Microsoft's DICOM service extensions
(change feed, extended query tags, operations) and UPS-RS workitems (PS3.18 11).

Each is one read-only GET: an answer in the 2xx range means present, 404/405/501 absent. These
rows only say whether the API is there; the clients' own tests cover what it does.
"""

from __future__ import annotations

from dicomkit.check._probe import Answer, Prober
from dicomkit.check._report import Row, Verdict
from dicomkit.check._subject import JSON

__all__ = ["probe_services"]

_UNKNOWN_OPERATION = "00000000000000000000000000000000"


def _presence(area: str, feature: str, answer: Answer) -> Row:
    if answer.ok:
        return Row(area, feature, Verdict.SUPPORTED, answer.evidence())
    if answer.status in (401, 403):
        return Row(area, feature, Verdict.NOT_PROBED, answer.evidence(), "not allowed to ask")
    return Row(area, feature, Verdict.UNSUPPORTED, answer.evidence())


def probe_services(prober: Prober) -> list[Row]:
    root = prober.urls.root
    azure = [
        ("change feed", f"{root}/changefeed?offset=0&limit=1", "application/json"),
        ("change feed, latest entry", f"{root}/changefeed/latest", "application/json"),
        ("extended query tags", f"{root}/extendedquerytags", "application/json"),
    ]
    rows = [_presence("Azure", name, prober.get(url, accept)) for name, url, accept in azure]
    operation = prober.get(f"{root}/operations/{_UNKNOWN_OPERATION}", "application/json")
    if operation.status == 404:
        note = "a 404 for an unknown operation id does not tell whether the API exists"
        rows.append(Row("Azure", "operations", Verdict.NOT_PROBED, operation.evidence(), note))
    else:
        rows.append(_presence("Azure", "operations", operation))
    workitems = prober.get(f"{root}/workitems?limit=1", JSON)
    rows.append(_presence("UPS-RS", "search workitems", workitems))
    return rows
