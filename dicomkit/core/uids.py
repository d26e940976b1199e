"""DICOM UID validation (PS3.5 §9.1).

A UID is at most 64 characters of digits and dots; each dot-separated component is non-empty and
has no leading zero unless it is exactly ``0``. Every UID that would reach a URL path goes through
:func:`validate_uid` first, so text such as ``../``, ``?``, ``#``, ``/``, ``%`` or a space can never
change the meaning of a DICOMweb URL.
"""

from __future__ import annotations

from typing import Any

from dicomkit.core.errors import InvalidUIDError

__all__ = ["MAX_UID_LENGTH", "is_valid_uid", "validate_uid"]

MAX_UID_LENGTH = 64
_DIGITS = frozenset("0123456789")
_PREVIEW = 80


def _preview(value: str) -> str:
    """A bounded repr, so an error message never echoes a huge or hostile input in full."""
    if len(value) <= _PREVIEW:
        return repr(value)
    return f"{value[:_PREVIEW]!r}... ({len(value)} characters)"


def _problem(value: str) -> str | None:
    """Why ``value`` is not a UID, or None when it is one."""
    if not value:
        return "is empty"
    if len(value) > MAX_UID_LENGTH:
        return f"is longer than {MAX_UID_LENGTH} characters"
    for component in value.split("."):
        if not component:
            return "has an empty component"
        if not _DIGITS.issuperset(component):
            return "may contain only digits and dots"
        if len(component) > 1 and component[0] == "0":
            return "has a component with a leading zero"
    return None


def validate_uid(value: str, what: str = "UID") -> str:
    """Return ``value`` unchanged if it is a valid DICOM UID, else raise :class:`InvalidUIDError`.

    ``what`` names the argument in the message (``"StudyInstanceUID"``) so the caller sees
    which of several UIDs was wrong.
    """
    if not isinstance(value, str):
        raise InvalidUIDError(f"{what} must be a string, not {type(value).__name__}")
    problem = _problem(value)
    if problem is not None:
        raise InvalidUIDError(f"{what} {_preview(value)} {problem}")
    return value


def is_valid_uid(value: Any) -> bool:
    """True if ``value`` is a string that is a valid DICOM UID."""
    return isinstance(value, str) and _problem(value) is None
