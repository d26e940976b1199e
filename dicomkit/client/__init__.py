"""The DICOMweb clients: :class:`DicomClient` (blocking) and :class:`AsyncDicomClient`.

Both have the same methods with the same arguments; the async one awaits them. Method names
follow dicomweb-client (``search_for_studies``, ``retrieve_study`` ...) and the Azure
DicomClient (``upload_dicom_folder``, ``download_dicom`` ...) so that moving over is easy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dicomkit.client.sync import DicomClient

if TYPE_CHECKING:
    from dicomkit.client.aio import AsyncDicomClient
    from dicomkit.files.folder import FolderUploadReport

__all__ = ["AsyncDicomClient", "DicomClient", "FolderUploadReport"]


def __getattr__(name: str) -> Any:
    if name == "AsyncDicomClient":
        from dicomkit.client.aio import AsyncDicomClient

        return AsyncDicomClient
    if name == "FolderUploadReport":
        from dicomkit.files.folder import FolderUploadReport

        return FolderUploadReport
    raise AttributeError(f"module 'dicomkit.client' has no attribute {name!r}")
