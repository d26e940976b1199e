"""``dicomkit check``: which parts of DICOMweb a live server honours, as a table of rows.

:func:`check_server` probes through a :class:`~dicomkit.DicomClient` (its transport, its
credentials, its URLs) and returns a :class:`Report`; the command prints it. Read-only unless
``write=True``, which stores a small synthetic study, probes STOW-RS and DELETE with it and
removes what it stored. See docs/check.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dicomkit.check._probe import Answer, Prober
from dicomkit.check._qido import probe_qido
from dicomkit.check._report import Report, Row, Verdict
from dicomkit.check._services import probe_services
from dicomkit.check._subject import Subject, discover, synthetic_study
from dicomkit.check._wado import probe_answers, probe_wado
from dicomkit.check._write import Written, probe_delete, probe_stow, remove, store_subject

if TYPE_CHECKING:
    from dicomkit.client import DicomClient

__all__ = ["Answer", "Prober", "Report", "Row", "Verdict", "check_server"]

_WRITE_ROWS = [
    ("STOW", "store instances"),
    ("STOW", "duplicate instance"),
    ("STOW", "202 for a partly stored request"),
    ("STOW", "409 when nothing is stored"),
    ("DELETE", "delete instance"),
    ("DELETE", "delete study (clean-up)"),
]


def _nothing_to_probe(answer: Answer) -> Row:
    if answer.status in (401, 403):
        note = "the server refused the credentials (or wants some): pass --token or --basic"
    elif answer.ok:
        note = "the server lists no study; run with --write to probe with a synthetic one"
    else:
        note = "the study search failed"
    return Row("QIDO", "search studies", Verdict.NOT_PROBED, answer.evidence(), note)


def _reads(prober: Prober, subject: Subject, report: Report) -> None:
    rows, report.dialect = probe_qido(prober, subject)
    report.add(rows)
    report.add(probe_wado(prober, subject))
    report.add(probe_answers(prober, subject))


def check_server(client: DicomClient, *, write: bool = False) -> Report:
    """Probe the server behind ``client`` and return one row per feature.

    With ``write=True`` a synthetic study is stored, probed, and deleted again; without, the
    first study the server lists is probed and nothing is changed.
    """
    prober = Prober(client)
    report = Report(client.urls.root, wrote=write)
    if not write:
        subject = discover(prober)
        if isinstance(subject, Answer):
            report.add([_nothing_to_probe(subject)])
        else:
            _reads(prober, subject, report)
        report.add(
            Row(area, feature, Verdict.NOT_PROBED, "", "needs --write")
            for area, feature in _WRITE_ROWS
        )
        report.add(probe_services(prober))
        return report
    subject = synthetic_study()
    written = Written()
    try:
        stored = store_subject(prober, subject, written)
        report.add([stored])
        if stored.verdict is Verdict.UNSUPPORTED:
            report.add(
                [
                    Row(
                        "QIDO",
                        "search studies",
                        Verdict.NOT_PROBED,
                        "",
                        "the synthetic study could not be stored",
                    )
                ]
            )
        else:
            _reads(prober, subject, report)
            report.add(probe_stow(prober, subject, written))
            report.add(probe_delete(prober, subject, written))
    finally:
        report.add([remove(prober, subject, written)])
    report.add(probe_services(prober))
    return report
