"""Probes that change the server (``--write`` only): STOW-RS semantics and DELETE.

The synthetic study is stored first (the read probes then look at it); afterwards the
duplicate, partial (202) and conflict (409) cases are sent, one instance is deleted, and at the
end everything stored is removed (:func:`remove`). Instances of other studies that a server
wrongly stored are removed too.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from dicomkit.check._probe import Answer, Prober
from dicomkit.check._report import Row, Verdict
from dicomkit.check._subject import JSON, Subject, stow_body, value_of
from dicomkit.check._wado import _answer_row

__all__ = ["Written", "probe_delete", "probe_stow", "remove", "store_subject"]

AREA = "STOW"
_REFERENCED, _FAILED = "00081199", "00081198"
_FAILURE_REASON, _WARNING_REASON = "00081197", "00081196"


@dataclass
class Written:
    """What this check stored, so that it can all be removed."""

    studies: set[str] = field(default_factory=set)
    extra: str | None = None
    """The SOPInstanceUID stored in the subject's series by the 202 probe."""


def _items(answer: Answer, tag: str) -> list[dict[str, Any]]:
    value = answer.json()
    if not isinstance(value, dict):
        return []
    element = value.get(tag)
    items = element.get("Value") if isinstance(element, dict) else None
    return [item for item in items or [] if isinstance(item, dict)]


def _reasons(answer: Answer) -> str:
    failed = [value_of(item, _FAILURE_REASON) for item in _items(answer, _FAILED)]
    warned = [value_of(item, _WARNING_REASON) for item in _items(answer, _REFERENCED)]
    notes = [f"FailureReason {r}" for r in failed if r] + [
        f"WarningReason {r}" for r in warned if r
    ]
    return ", ".join(notes)


def _store(
    prober: Prober, datasets: list[Any], study: str | None = None, accept: str = JSON
) -> Answer:
    body, content_type = stow_body(datasets)
    url = prober.urls.store(study)
    return prober.send(
        "POST", url, accept=accept, headers={"Content-Type": content_type}, body=body
    )


def store_subject(prober: Prober, subject: Subject, written: Written) -> Row:
    """Store the synthetic study; its row says whether STOW-RS works at all."""
    answer = _store(prober, subject.datasets)
    written.studies.add(subject.study)
    stored = len(_items(answer, _REFERENCED))
    evidence = answer.evidence(f"{stored} referenced", _reasons(answer))
    if answer.status == 200 and stored == len(subject.datasets):
        return Row(AREA, "store instances", Verdict.SUPPORTED, evidence)
    if answer.ok:
        return Row(
            AREA,
            "store instances",
            Verdict.DEVIATION,
            evidence,
            f"expected 200 and {len(subject.datasets)} referenced",
        )
    return Row(AREA, "store instances", Verdict.UNSUPPORTED, evidence)


def _other_study(written: Written, **attributes: Any) -> Any:
    from dicomkit.testing.data import make_instance

    dataset = make_instance(rows=8, cols=8, **attributes)
    written.studies.add(dataset.StudyInstanceUID)
    return dataset


def probe_stow(prober: Prober, subject: Subject, written: Written) -> Iterator[Row]:
    from dicomkit.testing.data import make_instance

    again = _store(prober, subject.datasets[1:])
    evidence = again.evidence(_reasons(again))
    if again.status in (200, 202, 409):
        how = {200: "stored again", 202: "accepted with a warning", 409: "refused as a duplicate"}
        yield Row(AREA, "duplicate instance", Verdict.SUPPORTED, evidence, how[again.status])
    else:
        yield Row(AREA, "duplicate instance", Verdict.DEVIATION, evidence)

    xml = _store(prober, subject.datasets[1:], accept="application/dicom+xml")
    yield _answer_row("STOW answer as DICOM XML", xml, "application/dicom+xml", statuses=(409,))

    same = make_instance(
        study_uid=subject.study,
        series_uid=subject.series,
        rows=8,
        cols=8,
        patient_id=subject.patient_id,
        patient_name=subject.patient_name,
    )
    written.extra = same.SOPInstanceUID
    partial = _store(prober, [same, _other_study(written)], study=subject.study)
    evidence = partial.evidence(_reasons(partial))
    if partial.status == 202 and _items(partial, _FAILED):
        yield Row(AREA, "202 for a partly stored request", Verdict.SUPPORTED, evidence)
    else:
        yield Row(
            AREA,
            "202 for a partly stored request",
            Verdict.DEVIATION,
            evidence,
            "one instance of another study in POST /studies/{study}",
        )

    conflict = _store(prober, [_other_study(written)], study=subject.study)
    evidence = conflict.evidence(_reasons(conflict))
    verdict = Verdict.SUPPORTED if conflict.status == 409 else Verdict.DEVIATION
    yield Row(AREA, "409 when nothing is stored", verdict, evidence)


def _delete_row(feature: str, answer: Answer) -> Row:
    if answer.status in (200, 202, 204):
        return Row("DELETE", feature, Verdict.SUPPORTED, answer.evidence())
    return Row("DELETE", feature, Verdict.UNSUPPORTED, answer.evidence())


def probe_delete(prober: Prober, subject: Subject, written: Written) -> Iterator[Row]:
    """Delete the instance the 202 probe added (or the second instance), then check it is gone."""
    sop = written.extra or subject.instances[-1]
    answer = prober.send("DELETE", prober.urls.delete(subject.study, subject.series, sop))
    row = _delete_row("delete instance", answer)
    if row.verdict is Verdict.SUPPORTED:
        left = prober.get(prober.urls.search("instances", subject.study, subject.series), JSON)
        found = [value_of(item, "00080018") for item in left.datasets() or []]
        if sop in found:
            row = Row(
                "DELETE",
                row.feature,
                Verdict.DEVIATION,
                row.evidence,
                "the instance is still listed",
            )
    yield row


def remove(prober: Prober, subject: Subject, written: Written) -> Row:
    """Delete every study this check stored; the row is the subject study's DELETE (404 for
    the other studies is expected: a conforming server refused to store them)."""
    answer = prober.send("DELETE", prober.urls.delete(subject.study))
    for study in sorted(written.studies - {subject.study}):
        prober.send("DELETE", prober.urls.delete(study))
    return _delete_row("delete study (clean-up)", answer)
