"""The reference DICOMweb server for tests and demos (``pip install "dicomkit[server]"``).

Instances are files under a root folder indexed in SQLite; STOW-RS, QIDO-RS, WADO-RS and
DELETE follow PS3.18; faults are injected on demand; auth is optional::

    with ReferenceServer() as url:
        ...  # point any DICOMweb client at url

It is its own distribution so that ``pip install dicomkit`` brings no server and no aiohttp.
Modules, one job each: ``_store`` (files and SQLite index), ``_qido`` (matching and result
shaping), ``_wado`` (retrieval), ``_stow`` (uploads), ``_faults`` (scripted misbehaviour),
``_auth`` (basic and OAuth2), ``_app`` (routing and middlewares), ``_runner`` (thread or
event-loop hosting); ``cli`` is ``dicomkit serve``, ``pytest_plugin`` the fixtures and
``orthanc`` runs a private Orthanc for tests. See docs/reference-server.md.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dicomkit_server._auth import ServerAuth, ServerBasicAuth, ServerOAuth2
    from dicomkit_server._context import DEFAULT_PARTITION, RecordedRequest
    from dicomkit_server._faults import Fault, Faults
    from dicomkit_server._proxy import FaultProxy
    from dicomkit_server._runner import AsyncReferenceServer, ReferenceServer
    from dicomkit_server._stow import (
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
    "FaultProxy",
    "Faults",
    "RecordedRequest",
    "ReferenceServer",
    "ServerAuth",
    "ServerBasicAuth",
    "ServerOAuth2",
]

_HOMES = {
    "ServerAuth": "_auth",
    "ServerBasicAuth": "_auth",
    "ServerOAuth2": "_auth",
    "DEFAULT_PARTITION": "_context",
    "RecordedRequest": "_context",
    "Fault": "_faults",
    "Faults": "_faults",
    "FaultProxy": "_proxy",
    "AsyncReferenceServer": "_runner",
    "ReferenceServer": "_runner",
    "CANNOT_UNDERSTAND": "_stow",
    "DUPLICATE_INSTANCE": "_stow",
    "PROCESSING_FAILURE": "_stow",
    "STUDY_MISMATCH": "_stow",
}
"""Where each public name lives: importing this package stays cheap (no aiohttp, no pydicom),
so ``dicomkit --help``, the pytest plugin and the Orthanc runner start fast."""


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    found = getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
    globals()[name] = found
    return found
