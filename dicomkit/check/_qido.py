"""QIDO-RS probes: search at each level, each kind of matching, paging, empty results, and
whether the server percent-decodes query values (which decides the client's dialect)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

from dicomkit.check._probe import Answer, Prober
from dicomkit.check._report import Row, Verdict
from dicomkit.check._subject import JSON, Subject, value_of

__all__ = ["probe_qido"]

AREA = "QIDO"
_STUDY, _SERIES, _SOP = "0020000D", "0020000E", "00080018"
_NO_MATCH = "DKCHECK-NO-SUCH-PATIENT"


def _uids(answer: Answer, tag: str) -> list[str] | None:
    found = answer.datasets()
    if found is None:
        return None
    return [uid for uid in (value_of(row, tag) for row in found) if uid]


def _matches(answer: Answer, tag: str, uid: str) -> bool:
    return uid in (_uids(answer, tag) or [])


def _row(feature: str, answer: Answer, found: bool, *, missing: str = "not found") -> Row:
    """Supported when the study was found; a refused query is unsupported; a query answered
    without the study is a deviation (the filter was misread)."""
    count = answer.datasets()
    counted = "" if count is None else f"{len(count)} result(s)"
    if found:
        return Row(AREA, feature, Verdict.SUPPORTED, answer.evidence(counted))
    if not answer.ok:
        return Row(AREA, feature, Verdict.UNSUPPORTED, answer.evidence())
    return Row(AREA, feature, Verdict.DEVIATION, answer.evidence(counted), missing)


def _levels(prober: Prober, s: Subject) -> Iterator[Row]:
    urls = prober.urls
    probes = [
        ("studies", urls.search("studies") + f"?StudyInstanceUID={s.study}", _STUDY, s.study),
        ("series", urls.search("series") + f"?SeriesInstanceUID={s.series}", _SERIES, s.series),
        ("instances", urls.search("instances") + f"?SOPInstanceUID={s.instance}", _SOP, s.instance),
        ("series of a study", urls.search("series", s.study), _SERIES, s.series),
        ("instances of a study", urls.search("instances", s.study), _SOP, s.instance),
        ("instances of a series", urls.search("instances", s.study, s.series), _SOP, s.instance),
    ]
    for name, url, tag, uid in probes:
        answer = prober.get(url, JSON)
        row = _row(f"search {name}", answer, _matches(answer, tag, uid))
        if row.verdict is Verdict.SUPPORTED and answer.media and answer.media.type != JSON:
            row = Row(
                AREA,
                row.feature,
                Verdict.DEVIATION,
                row.evidence,
                f"answered as {answer.media.type}",
            )
        yield row


def _study_search(prober: Prober, query: str) -> Answer:
    return prober.get(prober.urls.search("studies") + "?" + query, JSON)


def _matching(prober: Prober, s: Subject) -> Iterator[Row]:
    pid = quote(s.patient_id, safe="")
    answer = _study_search(prober, f"PatientID={pid}")
    yield _row("exact match (PatientID)", answer, _matches(answer, _STUDY, s.study))

    if len(s.patient_id) > 1:
        stem = quote(s.patient_id[: max(1, len(s.patient_id) - 2)], safe="")
        answer = _study_search(prober, f"PatientID={stem}*")
        yield _row("wildcard match (PatientID=prefix*)", answer, _matches(answer, _STUDY, s.study))

    if s.study_date:
        inside = _study_search(prober, f"StudyDate={s.study_date}-{s.study_date}")
        outside = _study_search(prober, "StudyDate=18000101-18000102")
        row = _row("range match (StudyDate=from-to)", inside, _matches(inside, _STUDY, s.study))
        if row.verdict is Verdict.SUPPORTED and _matches(outside, _STUDY, s.study):
            row = Row(
                AREA,
                row.feature,
                Verdict.DEVIATION,
                row.evidence,
                "a range that excludes the study still finds it",
            )
        yield row

    answer = _study_search(prober, f"StudyInstanceUID={s.study},2.25.1")
    yield _row("UID list match (StudyInstanceUID=a,b)", answer, _matches(answer, _STUDY, s.study))

    family = s.patient_name.split("^")[0]
    if family:
        name = quote(family.lower(), safe="")
        answer = _study_search(prober, f"PatientName={name}&fuzzymatching=true")
        yield _row(
            "fuzzy match (fuzzymatching=true)",
            answer,
            _matches(answer, _STUDY, s.study),
            missing="ignored",
        )


def _fields(prober: Prober, s: Subject) -> Iterator[Row]:
    for value in ("00081030", "all"):
        answer = _study_search(prober, f"StudyInstanceUID={s.study}&includefield={value}")
        rows = answer.datasets() or []
        present = any("00081030" in row for row in rows)
        feature = f"includefield={value}"
        if present:
            yield Row(
                AREA, feature, Verdict.SUPPORTED, answer.evidence("StudyDescription returned")
            )
        elif not answer.ok:
            yield Row(AREA, feature, Verdict.UNSUPPORTED, answer.evidence())
        elif s.synthetic:
            yield Row(
                AREA,
                feature,
                Verdict.DEVIATION,
                answer.evidence(),
                "StudyDescription (0008,1030) not returned",
            )
        else:
            yield Row(
                AREA,
                feature,
                Verdict.NOT_PROBED,
                answer.evidence(),
                "the study may have no StudyDescription",
            )


def _paging(prober: Prober, s: Subject) -> Iterator[Row]:
    url = prober.urls.search("instances", s.study, s.series)
    first = prober.get(url + "?limit=1", JSON)
    uids = _uids(first, _SOP)
    if uids is None:
        yield Row(AREA, "limit", Verdict.UNSUPPORTED, first.evidence())
    elif len(uids) == 1 or (len(s.instances) < 2 and len(uids) <= 1):
        yield Row(AREA, "limit", Verdict.SUPPORTED, first.evidence(f"{len(uids)} result(s)"))
    else:
        yield Row(
            AREA,
            "limit",
            Verdict.DEVIATION,
            first.evidence(f"{len(uids)} result(s)"),
            "limit=1 ignored",
        )
    if len(s.instances) < 2:
        yield Row(AREA, "offset", Verdict.NOT_PROBED, "", "the series has one instance")
        return
    second = prober.get(url + "?limit=1&offset=1", JSON)
    after = _uids(second, _SOP)
    if after is None:
        yield Row(AREA, "offset", Verdict.UNSUPPORTED, second.evidence())
    elif len(after) == 1 and uids and after[0] not in uids:
        yield Row(AREA, "offset", Verdict.SUPPORTED, second.evidence("another instance"))
    else:
        yield Row(
            AREA,
            "offset",
            Verdict.DEVIATION,
            second.evidence(f"{len(after)} result(s)"),
            "offset=1 gave the first page again",
        )


def _empty(prober: Prober) -> Iterator[Row]:
    answer = _study_search(prober, f"PatientID={_NO_MATCH}")
    feature = "empty result"
    if answer.status == 204:
        yield Row(AREA, feature, Verdict.SUPPORTED, answer.evidence(), "204 No Content")
    elif answer.status == 200 and answer.datasets() == []:
        yield Row(AREA, feature, Verdict.SUPPORTED, answer.evidence("[]"))
    else:
        yield Row(AREA, feature, Verdict.DEVIATION, answer.evidence(), "neither [] nor 204")


def _decoding(prober: Prober, s: Subject) -> tuple[Row, str]:
    """Whether ``%XX`` in a query value is decoded (PS3.18 8.3.4 and RFC 3986): the last
    character of the PatientID is sent percent-encoded, which a conforming server decodes."""
    pid = s.patient_id
    feature = "percent-decoding of query values"
    if not pid:
        return Row(AREA, feature, Verdict.NOT_PROBED, "", "the study has no PatientID"), "standard"
    encoded = quote(pid[:-1], safe="") + "".join(f"%{byte:02X}" for byte in pid[-1].encode())
    answer = _study_search(prober, f"PatientID={encoded}")
    if _matches(answer, _STUDY, s.study):
        return Row(
            AREA, feature, Verdict.SUPPORTED, answer.evidence(f"PatientID={encoded} matched")
        ), "standard"
    note = f"PatientID={encoded} did not match: keep ^ and , raw (dialect='orthanc')"
    return Row(AREA, feature, Verdict.DEVIATION, answer.evidence(), note), "orthanc"


def probe_qido(prober: Prober, subject: Subject) -> tuple[list[Row], str]:
    """Every QIDO-RS row, and the dialect the client needs for this server."""
    rows = [*_levels(prober, subject), *_matching(prober, subject), *_fields(prober, subject)]
    rows += [*_paging(prober, subject), *_empty(prober)]
    decoding, dialect = _decoding(prober, subject)
    rows.append(decoding)
    return rows, dialect
