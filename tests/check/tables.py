"""The pinned conformance tables: what ``dicomkit check --write`` finds on each server.

A change here is a change in a server or in the checker; docs/check.md shows the same tables.
"""

from __future__ import annotations

S, D, U, N = "supported", "deviation", "not supported", "not probed"

_COMMON = {
    "STOW: store instances": S,
    "QIDO: search studies": S,
    "QIDO: search series": S,
    "QIDO: search instances": S,
    "QIDO: search series of a study": S,
    "QIDO: search instances of a study": S,
    "QIDO: search instances of a series": S,
    "QIDO: exact match (PatientID)": S,
    "QIDO: wildcard match (PatientID=prefix*)": S,
    "QIDO: range match (StudyDate=from-to)": S,
    "QIDO: UID list match (StudyInstanceUID=a,b)": S,
    "QIDO: includefield=00081030": S,
    "QIDO: limit": S,
    "QIDO: offset": S,
    "QIDO: empty result": S,
    "WADO: retrieve study": S,
    "WADO: retrieve series": S,
    "WADO: retrieve instance": S,
    "WADO: metadata": S,
    "WADO: frames": S,
    "WADO: frames (list 1,2)": S,
    "WADO: rendered (instance, image/jpeg)": S,
    "WADO: bulk data": S,
    "WADO: transfer-syntax negotiation (Explicit VR LE)": S,
    "answers: QIDO as DICOM JSON": S,
    "answers: metadata as DICOM JSON": S,
    "STOW: duplicate instance": S,
    "STOW: 409 when nothing is stored": S,
    "Azure: operations": N,
}

REFERENCE = {
    **_COMMON,
    "Azure: change feed": S,
    "Azure: change feed, latest entry": S,
    "Azure: extended query tags": S,
    "UPS-RS: search workitems": S,
    "QIDO: fuzzy match (fuzzymatching=true)": S,
    "QIDO: includefield=all": S,
    "QIDO: percent-decoding of query values": S,
    "WADO: thumbnail (instance, image/jpeg)": S,
    "WADO: Range on bulk data": S,
    "WADO: 406 for an unavailable media type": S,
    "answers: QIDO as DICOM XML": S,
    "answers: metadata as DICOM XML": S,
    "answers: STOW answer as DICOM XML": S,
    "STOW: 202 for a partly stored request": S,
    "DELETE: delete instance": S,
    "DELETE: delete study (clean-up)": S,
}

ORTHANC = {
    **_COMMON,
    "Azure: change feed": U,
    "Azure: change feed, latest entry": U,
    "Azure: extended query tags": U,
    "UPS-RS: search workitems": U,
    "QIDO: fuzzy match (fuzzymatching=true)": D,
    "QIDO: includefield=all": D,
    "QIDO: percent-decoding of query values": D,
    "WADO: thumbnail (instance, image/jpeg)": U,
    "WADO: Range on bulk data": U,
    "WADO: 406 for an unavailable media type": D,
    "answers: QIDO as DICOM XML": D,
    "answers: metadata as DICOM XML": S,
    "answers: STOW answer as DICOM XML": S,
    "STOW: 202 for a partly stored request": D,
    "DELETE: delete instance": U,
    "DELETE: delete study (clean-up)": U,
}
