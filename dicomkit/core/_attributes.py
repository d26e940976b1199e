"""The attributes searches and the clients name most, so that using them needs no pydicom.

Importing pydicom (and NumPy through it) costs a few hundred milliseconds. Validating a
keyword in a QIDO filter or reading ``StudyInstanceUID`` from DICOM JSON needs only its tag
and VR: for the attributes below (PS3.18's QIDO-RS matching and return keys, and the UIDs)
they are listed here; any other keyword is looked up in pydicom's dictionary, as before.
tests/embedding/test_cold_start.py checks every row against that dictionary;
tests/core/test_attributes.py what ``lookup`` answers for names it must not know.
"""

from __future__ import annotations

__all__ = ["COMMON", "lookup"]

COMMON: dict[str, tuple[int, str]] = {
    "SpecificCharacterSet": (0x00080005, "CS"),
    "SOPClassUID": (0x00080016, "UI"),
    "SOPInstanceUID": (0x00080018, "UI"),
    "StudyDate": (0x00080020, "DA"),
    "SeriesDate": (0x00080021, "DA"),
    "AcquisitionDate": (0x00080022, "DA"),
    "ContentDate": (0x00080023, "DA"),
    "AcquisitionDateTime": (0x0008002A, "DT"),
    "StudyTime": (0x00080030, "TM"),
    "SeriesTime": (0x00080031, "TM"),
    "AcquisitionTime": (0x00080032, "TM"),
    "ContentTime": (0x00080033, "TM"),
    "AccessionNumber": (0x00080050, "SH"),
    "InstanceAvailability": (0x00080056, "CS"),
    "Modality": (0x00080060, "CS"),
    "ModalitiesInStudy": (0x00080061, "CS"),
    "SOPClassesInStudy": (0x00080062, "UI"),
    "InstitutionName": (0x00080080, "LO"),
    "ReferringPhysicianName": (0x00080090, "PN"),
    "TimezoneOffsetFromUTC": (0x00080201, "SH"),
    "StudyDescription": (0x00081030, "LO"),
    "SeriesDescription": (0x0008103E, "LO"),
    "RetrieveURL": (0x00081190, "UR"),
    "PatientName": (0x00100010, "PN"),
    "PatientID": (0x00100020, "LO"),
    "IssuerOfPatientID": (0x00100021, "LO"),
    "PatientBirthDate": (0x00100030, "DA"),
    "PatientSex": (0x00100040, "CS"),
    "OtherPatientIDs": (0x00101000, "LO"),
    "PatientAge": (0x00101010, "AS"),
    "BodyPartExamined": (0x00180015, "CS"),
    "StudyInstanceUID": (0x0020000D, "UI"),
    "SeriesInstanceUID": (0x0020000E, "UI"),
    "StudyID": (0x00200010, "SH"),
    "SeriesNumber": (0x00200011, "IS"),
    "InstanceNumber": (0x00200013, "IS"),
    "NumberOfStudyRelatedSeries": (0x00201206, "IS"),
    "NumberOfStudyRelatedInstances": (0x00201208, "IS"),
    "NumberOfSeriesRelatedInstances": (0x00201209, "IS"),
    "NumberOfFrames": (0x00280008, "IS"),
    "Rows": (0x00280010, "US"),
    "Columns": (0x00280011, "US"),
    "BitsAllocated": (0x00280100, "US"),
    "ScheduledProcedureStepID": (0x00400009, "SH"),
    "PerformedProcedureStepStartDate": (0x00400244, "DA"),
    "PerformedProcedureStepStartTime": (0x00400245, "TM"),
    "RequestAttributesSequence": (0x00400275, "SQ"),
    "RequestedProcedureID": (0x00401001, "SH"),
}
"""Keyword -> (tag, VR), in tag order."""

_BY_TAG = dict(COMMON.values())


def lookup(keyword_or_tag: str | int) -> tuple[int, str] | None:
    """(tag, VR) of a keyword or tag, from this table first, else from pydicom's dictionary.

    None for a keyword pydicom does not know (or a tag with no dictionary entry), and for an
    empty or blank one: pydicom lists (300A,0782), which has no keyword, under ``""``, which would
    otherwise turn a missing name (``"PatientID."``, ``first_value(obj, "")``) into that tag.
    """
    if isinstance(keyword_or_tag, str):
        if not keyword_or_tag.strip():
            return None
        known = COMMON.get(keyword_or_tag)
        if known is not None:
            return known
        from pydicom.datadict import tag_for_keyword

        tag = tag_for_keyword(keyword_or_tag)
        if tag is None:
            return None
    else:
        tag = keyword_or_tag
        if tag in _BY_TAG:
            return tag, _BY_TAG[tag]
    from pydicom.datadict import dictionary_VR

    try:
        return tag, str(dictionary_VR(tag))
    except KeyError:
        return None
