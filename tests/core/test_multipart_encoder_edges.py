"""The multipart encoder's refusals and chunking at their edges, and the decoder's boundary
checks, with the messages a user reads."""

from __future__ import annotations

import io

import pytest

from dicomkit.core.errors import InvalidArgumentError, MultipartError
from dicomkit.core.multipart import MultipartDecoder, Part, encode_multipart


def test_small_parts_are_joined_with_their_head():
    chunks = list(encode_multipart([Part(b"ab"), Part(b"cd")], "B", chunk_size=1000))
    assert chunks == [b"--B\r\n\r\nab", b"\r\n--B\r\n\r\ncd", b"\r\n--B--\r\n"]


def test_a_head_and_body_of_exactly_chunk_size_stay_together():
    head = b"--B\r\n\r\n"
    body = b"x" * 3
    chunks = list(encode_multipart([Part(body)], "B", chunk_size=len(head) + len(body)))
    assert chunks[0] == head + body
    split = list(encode_multipart([Part(body)], "B", chunk_size=len(head) + len(body) - 1))
    assert b"".join(split) == b"".join(chunks)
    assert all(len(chunk) <= len(head) + len(body) - 1 for chunk in split)


def test_file_parts_are_read_in_chunks():
    data = b"0123456789"
    chunks = list(encode_multipart([Part(io.BytesIO(data), length=10)], "B", chunk_size=4))
    assert b"".join(chunks) == b"--B\r\n\r\n" + data + b"\r\n--B--\r\n"
    assert all(len(chunk) <= 4 for chunk in chunks)


@pytest.mark.parametrize(
    ("body", "kwargs", "message"),
    [
        (b"x", {"length": -1}, "a part length cannot be negative"),
        (b"x", {"length": 2}, "length differs from the size of the bytes body"),
        ("text", {}, "a part body is bytes or a binary file object"),
    ],
)
def test_part_refusals(body, kwargs, message):
    with pytest.raises(InvalidArgumentError) as caught:
        Part(body, **kwargs)
    assert str(caught.value) == message


def test_empty_parts_are_fine():
    assert Part(b"", length=0).length == 0
    assert b"".join(encode_multipart([Part(b"")], "B")) == b"--B\r\n\r\n\r\n--B--\r\n"


@pytest.mark.parametrize("position", [1, 2, 3])
def test_the_part_holding_the_boundary_is_named(position):
    parts = [Part(b"ok") for _ in range(3)]
    parts[position - 1] = Part(b"x\r\n--B y")
    with pytest.raises(InvalidArgumentError) as caught:
        list(encode_multipart(parts, "B"))
    assert str(caught.value) == f"the boundary occurs in the body of part {position}"


def test_no_parts():
    with pytest.raises(InvalidArgumentError) as caught:
        list(encode_multipart([], "B"))
    assert str(caught.value) == "a multipart body needs at least one part"


@pytest.mark.parametrize(
    ("boundary", "message"),
    [
        ("é", "a multipart boundary is ASCII, not 'é'"),
        ("a\rb", "invalid multipart boundary b'a\\rb'"),
        ("a\nb", "invalid multipart boundary b'a\\nb'"),
        ("", "invalid multipart boundary b''"),
    ],
)
def test_decoder_boundary_refusals(boundary, message):
    with pytest.raises(MultipartError) as caught:
        MultipartDecoder(boundary)
    assert str(caught.value) == message


def test_a_bytes_boundary_and_a_fresh_decoder():
    decoder = MultipartDecoder(b"B")
    assert decoder.complete is False
    assert decoder.parts == 0
