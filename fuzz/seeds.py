"""Seed inputs for each target: valid answers of the shapes real servers send. The first byte
of every input steers its harness (status, chunking); see fuzz/targets.py."""

from __future__ import annotations

__all__ = ["SEEDS"]

_B = b"fuzz-boundary"
_PART = (
    b"--" + _B + b'\r\nContent-Type: application/dicom; transfer-syntax="1.2.840.10008.1.2.1"\r\n'
    b"Content-Location: /studies/1/series/2/instances/3\r\n\r\nDICM\x00\x01payload\r\n"
)
_MULTIPART = [
    b"\x00" + _PART + b"--" + _B + b"--\r\n",
    b"\x03preamble\r\n" + _PART + _PART + b"--" + _B + b"--",
    b"\x05\r\n" + _PART + b"--" + _B + b"  \t\r\nContent-Type: a/b\r\n\r\n\r\n--" + _B + b"--",
    b"\x01--" + _B + b"\r\n\r\n--" + _B + b"--\r\nepilogue",
]
_OBJECT = (
    b'{"00080018":{"vr":"UI","Value":["1.2.3"]},"00100010":{"vr":"PN","Value":[{"Alphabetic":'
    b'"Doe^Jane","Ideographic":"\xe5\xb1\xb1\xe7\x94\xb0"}]},"00080020":{"vr":"DA","Value":'
    b'["20240102"]},"00081199":{"vr":"SQ","Value":[{"00081150":{"vr":"UI","Value":["1.2"]}}]},'
    b'"7FE00010":{"vr":"OW","BulkDataURI":"http://h/bulk/1"},"00280010":{"vr":"US","Value":[64]},'
    b'"00091010":{"vr":"OB","InlineBinary":"AAEC"},"00200013":{"vr":"IS","Value":[1]}}'
)
_DICOM_JSON = [b"\x01[" + _OBJECT + b"," + _OBJECT + b"]", b"\x01" + _OBJECT, b"\x00[]", b"\x00"]
_STORE = (
    b'{"00081190":{"vr":"UR","Value":["http://h/studies/1"]},"00081199":{"vr":"SQ","Value":[{'
    b'"00081150":{"vr":"UI","Value":["1.2.840.10008.5.1.4.1.1.2"]},"00081155":{"vr":"UI",'
    b'"Value":["1.2.3"]},"00081190":{"vr":"UR","Value":["http://h/i/3"]}}]},"00081198":{"vr":'
    b'"SQ","Value":[{"00081155":{"vr":"UI","Value":["1.2.4"]},"00081197":{"vr":"US","Value":'
    b'[49442]}}]},"0008119A":{"vr":"SQ","Value":[{"00081155":{"vr":"UI","Value":["1.2.5"]},'
    b'"00081196":{"vr":"US","Value":[45063]}}]}}'
)
_STOW = [
    b"\x00" + _STORE,
    b"\x01" + _STORE,
    b'\x83299 dicomkit "coerced"\n' + _STORE,
    b'\x03{"Message":"Bad file format","HttpStatus":400}',
    b"\x07<html>proxy error</html>",
]
_HEADERS = [
    b'\x00multipart/related; type="application/dicom"; boundary="a;b"; transfer-syntax=*',
    b'\x00multipart/related; type="application/dicom; transfer-syntax=1.2.840.10008.1.2.4.50"',
    b"\x00120",
    b"\x00Wed, 21 Oct 2026 07:28:00 GMT",
    b'\x00299 pacs.test "The fuzzymatching parameter is not supported.", 299 x "y"',
    b"\x00Content-Type: application/dicom+json; charset=utf-8",
]
SEEDS: dict[str, list[bytes]] = {
    "multipart": _MULTIPART,
    "dicom_json": _DICOM_JSON,
    "stow_response": _STOW,
    "headers": _HEADERS,
}
