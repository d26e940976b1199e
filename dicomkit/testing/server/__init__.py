"""A local DICOMweb server for tests and demos (extra ``dicomkit[server]``, built on aiohttp).

Instances are files under a root folder indexed in SQLite; STOW-RS, QIDO-RS, WADO-RS and
DELETE follow PS3.18; faults are injected on demand; auth is optional::

    with ReferenceServer() as url:
        ...  # point any DICOMweb client at url

Modules, one job each: ``_store`` (files and SQLite index), ``_qido`` (matching and result
shaping), ``_wado`` (retrieval), ``_stow`` (uploads), ``_faults`` (scripted misbehaviour),
``_auth`` (basic and OAuth2), ``_app`` (routing and middlewares), ``_runner`` (thread or
event-loop hosting). See docs/reference-server.md.
"""

from __future__ import annotations

try:
    import aiohttp  # noqa: F401  (checked first so a missing extra names what to install)
except ModuleNotFoundError as _missing:
    if _missing.name != "aiohttp":
        raise
    raise ModuleNotFoundError(
        "dicomkit.testing.server needs the server extra: pip install 'dicomkit[server]'",
        name=_missing.name,
    ) from _missing

from dicomkit.testing.server._auth import ServerAuth, ServerBasicAuth, ServerOAuth2
from dicomkit.testing.server._context import DEFAULT_PARTITION, RecordedRequest
from dicomkit.testing.server._faults import Fault, Faults
from dicomkit.testing.server._runner import AsyncReferenceServer, ReferenceServer
from dicomkit.testing.server._stow import (
    CANNOT_UNDERSTAND,
    DUPLICATE_INSTANCE,
    PROCESSING_FAILURE,
    STUDY_MISMATCH,
)

__all__ = [
    "CANNOT_UNDERSTAND",
    "DEFAULT_PARTITION",
    "DUPLICATE_INSTANCE",
    "PROCESSING_FAILURE",
    "STUDY_MISMATCH",
    "AsyncReferenceServer",
    "Fault",
    "Faults",
    "RecordedRequest",
    "ReferenceServer",
    "ServerAuth",
    "ServerBasicAuth",
    "ServerOAuth2",
]
