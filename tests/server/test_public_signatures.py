"""The server's options are spelled out, so editors, type checkers and typos all see them."""

from __future__ import annotations

import inspect

import pytest
from dicomkit_server import AsyncReferenceServer, ReferenceServer

OPTIONS = [
    "root",
    "host",
    "port",
    "api_version",
    "auth",
    "empty_result_status",
    "duplicate_policy",
    "max_results",
]


@pytest.mark.parametrize("server_class", [ReferenceServer, AsyncReferenceServer])
def test_both_forms_list_the_same_options(server_class: type) -> None:
    parameters = inspect.signature(server_class).parameters
    assert list(parameters) == OPTIONS
    assert all(p.kind is not inspect.Parameter.VAR_KEYWORD for p in parameters.values())


def test_a_misspelt_option_is_refused() -> None:
    with pytest.raises(TypeError, match="prot"):
        ReferenceServer(prot=8042)  # type: ignore[call-arg]
