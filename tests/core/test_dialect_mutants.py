"""dicomkit.core.operations.dialect at its edges: every default, the built-in dialects field by
field, each accepted value and each refusal with its whole message, names resolved."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dicomkit.core.errors import InvalidArgumentError
from dicomkit.core.operations.dialect import (
    AZURE,
    DIALECTS,
    ORTHANC,
    STANDARD,
    Dialect,
    resolve_dialect,
)


def fields(dialect: Dialect) -> dict[str, Any]:
    return {name: getattr(dialect, name) for name in Dialect.__dataclass_fields__}


def test_the_standard_dialect_is_the_defaults() -> None:
    assert (
        fields(STANDARD)
        == fields(Dialect())
        == {
            "name": "standard",
            "multipart_renderings": True,
            "rendering_fallback": True,
            "query_raw": "",
            "silent_page_size": None,
            "answers": "json",
            "other_origin": "refuse",
            "permissive_uids": False,
            "frame_list_chars": 2000,
            "frame_list_refusals": frozenset({400, 413, 414, 431, 500, 501}),
        }
    )


def test_the_orthanc_and_azure_dialects() -> None:
    assert fields(ORTHANC) == {
        **fields(STANDARD),
        "name": "orthanc",
        "multipart_renderings": False,
        "rendering_fallback": False,
        "query_raw": "^,",
        "frame_list_chars": 8000,
        "frame_list_refusals": frozenset({400, 414, 431}),
    }
    assert fields(AZURE) == {**fields(STANDARD), "name": "azure", "silent_page_size": 100}
    assert DIALECTS == {"standard": STANDARD, "orthanc": ORTHANC, "azure": AZURE}


@pytest.mark.parametrize("origin", ["refuse", "allow", "rewrite"])
def test_each_other_origin_policy_is_accepted(origin: str) -> None:
    assert Dialect(other_origin=origin).other_origin == origin


@pytest.mark.parametrize("origin", ["ALLOW", "Allow", "", "follow"])
def test_other_origin_policies_are_refused(origin: str) -> None:
    with pytest.raises(InvalidArgumentError) as refused:
        Dialect(other_origin=origin)
    assert str(refused.value) == (
        f"other_origin must be 'refuse', 'allow' or 'rewrite', not {origin!r}"
    )


@pytest.mark.parametrize("answers", ["json", "xml"])
def test_each_answer_format_is_accepted(answers: str) -> None:
    assert Dialect(answers=answers).answers == answers


@pytest.mark.parametrize("answers", ["XML", "Json", "", "yaml"])
def test_other_answer_formats_are_refused(answers: str) -> None:
    with pytest.raises(InvalidArgumentError) as refused:
        Dialect(answers=answers)
    assert str(refused.value) == f"answers must be 'json' or 'xml', not {answers!r}"


@pytest.mark.parametrize("size", [None, 1, 2, 100])
def test_silent_page_sizes_accepted(size: int | None) -> None:
    assert Dialect(silent_page_size=size).silent_page_size == size


@pytest.mark.parametrize("size", [0, -1, True, False, 1.0, "100"])
def test_silent_page_sizes_refused(size: Any) -> None:
    with pytest.raises(InvalidArgumentError) as refused:
        Dialect(silent_page_size=size)
    assert str(refused.value) == f"silent_page_size must be an integer >= 1, not {size!r}"


@pytest.mark.parametrize("chars", [1, 2, 8000])
def test_frame_list_lengths_accepted(chars: int) -> None:
    assert Dialect(frame_list_chars=chars).frame_list_chars == chars


@pytest.mark.parametrize("chars", [0, -5, True, False, 2.5, "2000", None])
def test_frame_list_lengths_refused(chars: Any) -> None:
    with pytest.raises(InvalidArgumentError) as refused:
        Dialect(frame_list_chars=chars)
    assert str(refused.value) == f"frame_list_chars must be an integer >= 1, not {chars!r}"


@pytest.mark.parametrize("raw", ["", "^", ",", "^,", ",,^"])
def test_raw_query_characters_accepted(raw: str) -> None:
    assert Dialect(query_raw=raw).query_raw == raw


@pytest.mark.parametrize("raw", ["/", "^&", " ", "X", "^X,", 1])
def test_raw_query_characters_refused(raw: Any) -> None:
    with pytest.raises(InvalidArgumentError) as refused:
        Dialect(query_raw=raw)
    assert str(refused.value) == f"query_raw may only hold ^ and , not {raw!r}"


def test_resolving_names_and_dialects() -> None:
    assert resolve_dialect(None) is STANDARD
    assert resolve_dialect("Orthanc") is ORTHANC
    assert resolve_dialect("AZURE") is AZURE
    own = Dialect("mine", answers="xml")
    assert resolve_dialect(own) is own


@given(st.text(max_size=80).filter(lambda text: text.lower() not in DIALECTS))
def test_unknown_names_are_refused_with_the_names_known(name: str) -> None:
    with pytest.raises(InvalidArgumentError) as refused:
        resolve_dialect(name)
    assert str(refused.value) == (
        "dialect must be a Dialect or one of ['azure', 'orthanc', 'standard'], "
        f"not {repr(name)[:40]}"
    )


def test_the_refused_value_is_cut_at_forty_characters() -> None:
    with pytest.raises(InvalidArgumentError) as refused:
        resolve_dialect("x" * 50)
    assert str(refused.value).endswith(", not '" + "x" * 39)
    with pytest.raises(InvalidArgumentError) as other:
        resolve_dialect(3)  # type: ignore[arg-type]
    assert str(other.value).endswith(", not 3")
