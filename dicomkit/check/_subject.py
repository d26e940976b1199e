"""What the probes look at: one study on the server, found (read-only) or stored (``--write``).

Every QIDO and WADO probe needs a study whose attributes it knows, so that "found" and "not
found" mean something. Read-only, the first study the server lists is used; with ``--write``
a small synthetic one (two instances, one of them with two frames, a PatientName with ``^``)
is stored first and removed at the end.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from dicomkit.check._probe import Answer, Prober
from dicomkit.core.multipart import Part, encode_multipart, new_boundary

__all__ = ["JSON", "Subject", "discover", "stow_body", "synthetic_study", "value_of"]

JSON = "application/dicom+json"

_PATIENT_NAME = "Dicomkit^Check"
_STUDY_DATE = "20240102"
_STUDY_DESCRIPTION = "dicomkit check"


def value_of(dataset: dict[str, Any], tag: str) -> str | None:
    """The first value of ``tag`` in a DICOM JSON object as text (PN: its Alphabetic form)."""
    element = dataset.get(tag)
    values = element.get("Value") if isinstance(element, dict) else None
    if not isinstance(values, list) or not values:
        return None
    first = values[0]
    if isinstance(first, dict):
        first = first.get("Alphabetic")
    return None if first is None else str(first)


@dataclass
class Subject:
    """The study the probes use, and the attribute values they search for."""

    study: str
    series: str
    instances: list[str]
    patient_id: str = ""
    patient_name: str = ""
    study_date: str = ""
    synthetic: bool = False
    datasets: list[Any] = field(default_factory=list, repr=False)
    """The synthetic instances (pydicom datasets), for the STOW probes."""

    @property
    def instance(self) -> str:
        return self.instances[0]


def synthetic_study() -> Subject:
    """A new study of two instances in one series; the first has two frames."""
    from dicomkit.testing.data import make_instance, new_uid

    study, series = new_uid(), new_uid()
    patient_id = "DKCHECK" + secrets.token_hex(4).upper()
    common: dict[str, Any] = {
        "study_uid": study,
        "series_uid": series,
        "patient_id": patient_id,
        "patient_name": _PATIENT_NAME,
        "study_date": _STUDY_DATE,
        "rows": 16,
        "cols": 16,
        "StudyDescription": _STUDY_DESCRIPTION,
    }
    first = make_instance(frames=2, **common)
    second = make_instance(**common)
    second.InstanceNumber = 2
    return Subject(
        study=study,
        series=series,
        instances=[first.SOPInstanceUID, second.SOPInstanceUID],
        patient_id=patient_id,
        patient_name=_PATIENT_NAME,
        study_date=_STUDY_DATE,
        synthetic=True,
        datasets=[first, second],
    )


def stow_body(datasets: list[Any]) -> tuple[bytes, str]:
    """``(body, Content-Type)`` of a STOW-RS request storing ``datasets``."""
    from dicomkit.testing.data import dataset_bytes

    encoded = [dataset_bytes(ds) for ds in datasets]
    boundary = new_boundary(avoid=encoded)
    parts = [Part(data, {"Content-Type": "application/dicom"}) for data in encoded]
    body = b"".join(encode_multipart(parts, boundary))
    return body, f'multipart/related; type="application/dicom"; boundary={boundary}'


def _first(answer: Answer) -> dict[str, Any] | None:
    found = answer.datasets()
    return found[0] if found else None


def discover(prober: Prober) -> Subject | Answer:
    """The first study the server lists, with one of its series and that series' instances
    (from QIDO, or from the series metadata where instance-level QIDO fails); when there is
    none, the answer of the study search (empty, or refused: 401 without credentials)."""
    urls = prober.urls
    listed = prober.get(urls.search("studies") + "?limit=1", JSON)
    study_row = _first(listed)
    study = study_row and value_of(study_row, "0020000D")
    if not study_row or not study:
        return listed
    series_row = _first(prober.get(urls.search("series", study) + "?limit=1", JSON))
    series = series_row and value_of(series_row, "0020000E")
    if not series:
        return listed
    found = prober.get(urls.search("instances", study, series), JSON).datasets()
    if not found:
        found = prober.get(urls.retrieve(study, series, resource="metadata"), JSON).datasets()
    instances = [uid for uid in (value_of(row, "00080018") for row in found or []) if uid]
    if not instances:
        return listed
    return Subject(
        study=study,
        series=series,
        instances=instances,
        patient_id=value_of(study_row, "00100020") or "",
        patient_name=value_of(study_row, "00100010") or "",
        study_date=value_of(study_row, "00080020") or "",
    )
