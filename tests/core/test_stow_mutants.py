"""dicomkit.core.stow at its edges: the file meta read byte by byte, instances read from
openers (their declared length, their errors), the body's length and chunks, re-encoding, the
refusals' whole messages, and the tally's warnings policy."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import BinaryIO

import pytest
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian

from dicomkit.core import stow
from dicomkit.core.dicomjson import StoredInstance, StoreResult
from dicomkit.core.errors import InvalidArgumentError, StoreError
from dicomkit.testing.data import dataset_bytes, make_instance

IMPLICIT = "1.2.840.10008.1.2"
BIG = (
    "an instance is Explicit VR Big Endian, which PS3.18 8.7.3 does not allow in a STOW-RS "
    "body: decode it and store the Dataset in a little endian transfer syntax instead"
)


def element(number: int, vr: bytes, value: bytes) -> bytes:
    head = (2).to_bytes(2, "little") + number.to_bytes(2, "little") + vr
    if vr in (b"OB", b"UN", b"UT"):
        return head + b"\x00\x00" + len(value).to_bytes(4, "little") + value
    return head + len(value).to_bytes(2, "little") + value


def meta(*elements: bytes) -> bytes:
    return bytes(128) + b"DICM" + b"".join(elements)


def opener(data: bytes) -> Callable[[], BinaryIO]:
    return lambda: io.BytesIO(data)


def test_the_transfer_syntax_element_may_end_the_head() -> None:
    assert stow.part10_transfer_syntax(meta(element(0x10, b"UI", b""))) == ""
    assert stow.part10_transfer_syntax(meta(element(0x10, b"UI", b"1.2\x00"))) == "1.2"


def test_a_head_cut_inside_an_element_header_has_no_syntax() -> None:
    assert stow.part10_transfer_syntax(meta(element(0x10, b"UI", b""))[:-1]) is None
    assert stow.part10_transfer_syntax(meta()) is None
    assert stow.part10_transfer_syntax(bytes(128) + b"DICX" + element(0x10, b"UI", b"1")) is None


def test_long_value_lengths_are_four_bytes() -> None:
    head = meta(element(0x01, b"OB", b"\x01\x02"), element(0x10, b"UI", b"1.2.3\x00"))
    assert stow.part10_transfer_syntax(head) == "1.2.3"


def test_elements_past_group_two_end_the_meta() -> None:
    other = (8).to_bytes(2, "little") + (0x10).to_bytes(2, "little") + b"UI\x02\x001."
    assert stow.part10_transfer_syntax(meta(other, element(0x10, b"UI", b"1.2"))) is None


def test_the_syntax_is_read_as_ascii_with_replacements() -> None:
    assert stow.part10_transfer_syntax(meta(element(0x10, b"UI", b"1.2\xff "))) == "1.2\ufffd"
    assert stow.part10_transfer_syntax(meta(element(0x10, b"UI", b" 1.2X\x00"))) == "1.2X"


def test_only_the_first_16_kib_of_a_file_are_read_for_its_syntax() -> None:
    padding = element(0x01, b"OB", bytes(16 * 1024))
    late = meta(padding, element(0x10, b"UI", IMPLICIT.encode() + b"\x00"))
    item = stow.StowItem(opener(late), len(late), "late.dcm")
    assert stow.wire_ready(item) is item
    assert stow.part10_transfer_syntax(late) == IMPLICIT


@pytest.mark.parametrize(("label", "shown"), [("", "an instance"), ("x.dcm", "x.dcm")])
def test_an_unreadable_file_is_named(label: str, shown: str) -> None:
    def broken() -> BinaryIO:
        raise OSError("gone")

    with pytest.raises(InvalidArgumentError) as refused:
        stow.wire_ready(stow.StowItem(broken, 5, label))
    assert str(refused.value) == f"cannot read {shown}: gone"


def test_big_endian_is_refused_naming_the_instance() -> None:
    big = meta(element(0x10, b"UI", b"1.2.840.10008.1.2.2\x00"))
    with pytest.raises(InvalidArgumentError) as unnamed:
        stow.wire_ready(stow.StowItem(big))
    assert str(unnamed.value) == BIG
    with pytest.raises(InvalidArgumentError) as named:
        stow.wire_ready(stow.StowItem(opener(big), len(big), "b.dcm"))
    assert str(named.value) == BIG.replace("an instance", "b.dcm", 1)


def test_implicit_vr_from_a_file_is_re_encoded_keeping_label_and_uid() -> None:
    data = dataset_bytes(make_instance(transfer_syntax=ImplicitVRLittleEndian))
    item = stow.StowItem(opener(data), len(data), "i.dcm", "1.2.3")
    ready = stow.wire_ready(item)
    assert isinstance(ready.source, bytes)
    assert stow.part10_transfer_syntax(ready.source) == ExplicitVRLittleEndian
    assert ready.source[128:132] == b"DICM"
    assert (ready.length, ready.label, ready.sop_instance_uid) == (
        len(ready.source),
        "i.dcm",
        "1.2.3",
    )
    assert stow.wire_ready_all([item, ready]) == [ready, ready]


@pytest.mark.parametrize(("label", "shown"), [("", "an instance"), ("bad.dcm", "bad.dcm")])
def test_an_implicit_instance_that_cannot_be_read_is_named(label: str, shown: str) -> None:
    broken = meta(element(0x10, b"UI", IMPLICIT.encode() + b"\x00")) + b"\x08\x00\x05\x00\xff"
    with pytest.raises(InvalidArgumentError) as refused:
        stow.wire_ready(stow.StowItem(broken, label=label))
    assert str(refused.value).startswith(
        f"cannot re-encode {shown} from Implicit VR Little Endian: "
    )


def test_a_file_part_sends_its_declared_length() -> None:
    item = stow.StowItem(opener(b"12345"), 3, "f.dcm")
    body = stow.stow_body([item], "BB")
    data = b"".join(body)
    assert data == b"--BB\r\nContent-Type: application/dicom\r\n\r\n123\r\n--BB--\r\n"
    assert body.length == len(data)


def test_empty_and_unknown_sizes() -> None:
    empty = stow.stow_body([stow.StowItem(b"")], "BB")
    assert empty.length == len(b"".join(empty))
    unknown = stow.stow_body([stow.StowItem(opener(b"123"))], "BB")
    assert unknown.length is None
    assert b"".join(unknown).count(b"123") == 1


def test_files_are_read_in_chunks_of_the_given_size() -> None:
    item = stow.StowItem(opener(b"abcdefg"), 7)
    chunks = list(stow.stow_body([item], "BB", chunk_size=3))
    assert max(len(chunk) for chunk in chunks) == 3
    assert chunks[-7:] == [b"abc", b"def", b"g", b"\r\n-", b"-BB", b"--\r", b"\n"]
    default = list(stow.stow_body([item], "BB"))
    assert any(b"abcdefg" in chunk for chunk in default)


def test_the_duplicate_policy_refusal_cuts_the_value() -> None:
    with pytest.raises(InvalidArgumentError) as refused:
        stow.check_duplicate_policy("x" * 50)
    assert str(refused.value) == (
        "duplicates must be one of ('present', 'error'), not '" + "x" * 39
    )
    assert stow.check_duplicate_policy("present") == "present"


def test_a_refusal_without_instances_keeps_the_request_and_answer() -> None:
    from dicomkit.core.interface import Request

    request = Request("POST", "https://pacs.test/dicom-web/studies")
    headers = [("Content-Type", "application/dicom+json")]
    with pytest.raises(Exception) as refused:
        stow.interpret_store(request, 409, headers, b"{}")
    error = refused.value
    assert str(error) == (
        "HTTP 409 for POST https://pacs.test/dicom-web/studies: the server stored nothing and "
        "did not say which instance it refused (Orthanc answers so when a part is not DICOM)"
    )
    assert (error.method, error.url, error.headers, error.body, error.reasons) == (  # type: ignore[attr-defined]
        "POST",
        "https://pacs.test/dicom-web/studies",
        {"Content-Type": "application/dicom+json"},
        b"{}",
        [],
    )


def warned() -> StoreResult:
    return StoreResult(stored=[StoredInstance("1.2", "1.2.3")], warnings=["coerced"])


def test_warnings_raise_only_when_asked() -> None:
    quiet = stow.StoreTally([[stow.StowItem(b"x")]], None)
    assert quiet.raise_on_warnings is False
    quiet.settle(1, warned())
    assert quiet.outcome().warnings == ["coerced"]
    strict = stow.StoreTally([[stow.StowItem(b"x")]], None, raise_on_warnings=True)
    assert strict.raise_on_warnings is True
    strict.settle(1, warned())
    with pytest.raises(StoreError):
        strict.outcome()
    clean = stow.StoreTally([[stow.StowItem(b"x")]], None, raise_on_warnings=True)
    clean.settle(1, StoreResult(stored=[StoredInstance("1.2", "1.2.3")]))
    assert clean.outcome().stored == [StoredInstance("1.2", "1.2.3")]


def test_the_store_exchange_reads_files_in_its_chunk_size() -> None:
    from dicomkit.core.operations.builder import Operations
    from dicomkit.core.urls import DicomWebURLs

    operations = Operations(DicomWebURLs("https://pacs.test/dicom-web"))
    item = stow.StowItem(opener(b"abcdefg"), 7)
    exchange = stow.store_exchange(operations, [item], chunk_size=3)
    body = exchange.request.body
    assert body is not None
    assert not isinstance(body, bytes)
    chunks = list(body)
    assert max(len(chunk) for chunk in chunks) == 3
    assert b"".join(chunks).count(b"abcdefg") == 1
    whole = stow.store_exchange(operations, [item])
    assert whole.request.body is not None
    assert not isinstance(whole.request.body, bytes)
    assert b"abcdefg" in list(whole.request.body)
