"""The sans-IO pieces docs/sans-io.md relies on: Request.target/origin and part10_bytes."""

from __future__ import annotations

import subprocess
import sys
from urllib.parse import urlsplit

import pydicom
from hypothesis import given
from hypothesis import strategies as st

from dicomkit.core import Request
from dicomkit.core.part10 import part10_bytes
from dicomkit.core.urls import DicomWebURLs, encode_query
from dicomkit.testing.data import make_instance

SEGMENT = st.text("abcXYZ019-._~!$&'()*+,;=:@", min_size=1, max_size=8).filter(
    lambda segment: segment not in (".", "..")  # dot segments: the URL builder refuses them
)


@given(
    st.sampled_from(["http", "https"]),
    st.sampled_from(["h.example", "127.0.0.1:8042", "[::1]:9", "Host.Example:80"]),
    st.lists(SEGMENT, max_size=3),
    st.dictionaries(st.sampled_from(["PatientID", "StudyDate", "limit"]), SEGMENT, max_size=3),
)
def test_target_is_the_path_and_query(
    scheme: str, authority: str, segments: list[str], query: dict[str, str]
) -> None:
    urls = DicomWebURLs(f"{scheme}://{authority}/" + "/".join(segments))
    url = urls.store() + ("?" + encode_query(query.items()) if query else "")
    request = Request("GET", url)
    parts = urlsplit(url)
    assert request.target == (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    assert request.origin.scheme == scheme
    assert request.origin.host == (parts.hostname or "").lower()
    assert request.origin.port == (parts.port or {"http": 80, "https": 443}[scheme])


def test_target_of_a_bare_origin_is_a_slash() -> None:
    assert Request("GET", "https://host").target == "/"
    assert Request("GET", "https://host/a?b=1#frag").target == "/a?b=1"


def test_part10_bytes_round_trips_a_dataset_built_in_memory() -> None:
    ds = make_instance()
    del ds.file_meta
    data = part10_bytes(ds)
    assert data[128:132] == b"DICM"
    read = pydicom.dcmread(pydicom.filebase.DicomBytesIO(data))
    assert read.SOPInstanceUID == ds.SOPInstanceUID
    assert not hasattr(ds, "file_meta") or "TransferSyntaxUID" not in ds.file_meta


def test_the_core_and_its_part10_module_import_without_pydicom() -> None:
    code = (
        "import sys, dicomkit.core, dicomkit.core.part10, dicomkit.core.stow, "
        "dicomkit.core.operations, dicomkit.core.dicomjson\n"
        "print(sorted(m for m in ('pydicom', 'numpy') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
