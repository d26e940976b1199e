"""DICOM UID validation (PS3.5 §9.1).

A UID is at most 64 characters of digits and dots; each dot-separated component is non-empty and
has no leading zero unless it is exactly ``0``. Every UID that would reach a URL path goes through
:func:`validate_uid` first, so text such as ``../``, ``?``, ``#``, ``/``, ``%`` or a space can never
change the meaning of a DICOMweb URL.

Real archives hold UIDs that break these rules (leading zeros, more than 64 characters, even
letters). ``validate_uid(value, permissive=True)`` accepts them, but still refuses everything
that could change a URL's meaning once the UID is written into a path as one percent-encoded
segment (:func:`uid_path_segment`): ``/``, ``\\``, ``?``, ``#``, ``%``, ``@``, control
characters, non-ASCII text, and the dot segments ``.`` and ``..``. Strict stays the default.
"""

from __future__ import annotations

from typing import Any

from dicomkit.core.errors import InvalidUIDError

__all__ = [
    "MAX_PERMISSIVE_UID_LENGTH",
    "MAX_UID_LENGTH",
    "is_valid_uid",
    "uid_path_segment",
    "validate_uid",
]

MAX_UID_LENGTH = 64
MAX_PERMISSIVE_UID_LENGTH = 1024
"""Even a permissive UID is bounded, so a URL never grows without limit."""
_UNSAFE = frozenset("/\\?#%@")
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


def _permissive_problem(value: str) -> str | None:
    """Why ``value`` is unsafe in a URL path even for a lenient caller, or None."""
    if not value:
        return "is empty"
    if len(value) > MAX_PERMISSIVE_UID_LENGTH:
        return f"is longer than {MAX_PERMISSIVE_UID_LENGTH} characters"
    if value in (".", ".."):
        return "is a dot segment"
    for char in value:
        if char in _UNSAFE or not " " <= char <= "~":
            return f"contains {char!r}, which is unsafe in a URL path"
    return None


def validate_uid(value: str, what: str = "UID", *, permissive: bool = False) -> str:
    """Return ``value`` unchanged if it is a valid DICOM UID, else raise :class:`InvalidUIDError`.

    ``what`` names the argument in the message (``"StudyInstanceUID"``) so the caller sees
    which of several UIDs was wrong. ``permissive=True`` accepts the non-conformant UIDs of
    real archives (see the module text) but never one that is unsafe in a URL path.
    """
    if not isinstance(value, str):
        raise InvalidUIDError(f"{what} must be a string, not {type(value).__name__}")
    problem = _permissive_problem(value) if permissive else _problem(value)
    if problem is not None:
        raise InvalidUIDError(f"{what} {_preview(value)} {problem}")
    return value


def is_valid_uid(value: Any) -> bool:
    """True if ``value`` is a string that is a valid DICOM UID."""
    return isinstance(value, str) and _problem(value) is None


def uid_path_segment(value: str, what: str = "UID", *, permissive: bool = False) -> str:
    """``value`` validated and percent-encoded as one URL path segment.

    A strict UID is digits and dots, which need no encoding; a permissive one may hold a space
    or a quote, which are encoded here so they cannot end the path or the request line.
    """
    validate_uid(value, what, permissive=permissive)
    if not permissive:
        return value
    return "".join(
        char if char.isalnum() or char in "-._~" else f"%{ord(char):02X}" for char in value
    )
