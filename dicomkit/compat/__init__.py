"""Drop-in replacements for other DICOMweb client libraries, built on dicomkit.

:mod:`dicomkit.compat.dicomweb_client` offers ``DICOMwebClient`` with dicomweb-client's
constructor, methods, return types and exceptions, so a program written for that library runs
unchanged while its requests go through dicomkit's core and transports.
"""

from __future__ import annotations

__all__: list[str] = []
