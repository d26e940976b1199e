"""BasicAuth, BearerToken, CallableAuth, resolve_auth and the insecure-transport warning."""

from __future__ import annotations

import base64
import warnings
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dicomkit.auth import (
    Auth,
    BasicAuth,
    BearerToken,
    CallableAuth,
    InsecureCredentialsWarning,
    check_transport_security,
    resolve_auth,
)
from dicomkit.core.errors import InvalidArgumentError

NO_TRANSPORT: Any = None
header_text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\0"), min_size=1
)


def _decode_basic(value: str) -> str:
    scheme, _, encoded = value.partition(" ")
    assert scheme == "Basic"
    return base64.b64decode(encoded).decode()


def test_basic_auth_header() -> None:
    auth = BasicAuth("alice", "wonder land")
    value = auth.headers(NO_TRANSPORT)["Authorization"]
    assert value == "Basic YWxpY2U6d29uZGVyIGxhbmQ="
    assert _decode_basic(value) == "alice:wonder land"


@given(user=header_text.filter(lambda u: ":" not in u), password=header_text)
def test_basic_auth_round_trips_any_text_and_hides_password(user: str, password: str) -> None:
    auth = BasicAuth(user, password)
    assert _decode_basic(auth.headers(NO_TRANSPORT)["Authorization"]) == f"{user}:{password}"
    if password not in repr(user) and password not in "BasicAuth(username=, password=********)":
        assert password not in repr(auth)
        assert password not in str(auth)


def test_basic_auth_rejects_colon_in_username() -> None:
    with pytest.raises(InvalidArgumentError, match="':'"):
        BasicAuth("a:b", "pw")


@pytest.mark.parametrize("password", ["", "bad\r\nX-Injected: 1", 42])
def test_basic_auth_rejects_unusable_password_without_echoing_it(password: Any) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        BasicAuth("alice", password)
    if isinstance(password, str) and password:
        assert password not in str(caught.value)


def test_bearer_token_header_and_repr(secret: str) -> None:
    auth = BearerToken(secret)
    assert auth.headers(NO_TRANSPORT) == {"Authorization": f"Bearer {secret}"}
    assert secret not in repr(auth)
    assert secret not in f"{auth}"


@pytest.mark.parametrize("token", ["", "abc\ndef"])
def test_bearer_token_rejects_unusable_values(token: str) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        BearerToken(token)
    assert token == "" or token not in str(caught.value)


async def test_static_auth_works_from_async_code_and_never_refreshes(secret: str) -> None:
    auth = BearerToken(secret)
    assert await auth.aheaders(NO_TRANSPORT) == {"Authorization": f"Bearer {secret}"}
    assert auth.refresh(NO_TRANSPORT, {"Authorization": f"Bearer {secret}"}) is False
    assert await auth.arefresh(NO_TRANSPORT, {}) is False


def test_resolve_auth_shortcuts(secret: str) -> None:
    basic = resolve_auth(("alice", secret))
    assert isinstance(basic, BasicAuth)
    assert _decode_basic(basic.headers(NO_TRANSPORT)["Authorization"]) == f"alice:{secret}"
    assert isinstance(resolve_auth(["alice", secret]), BasicAuth)
    bearer = resolve_auth(secret)
    assert isinstance(bearer, BearerToken)
    assert bearer.headers(NO_TRANSPORT)["Authorization"] == f"Bearer {secret}"
    assert isinstance(resolve_auth(lambda: {"X-Api-Key": "k"}), CallableAuth)
    assert resolve_auth(None) is None
    assert resolve_auth(bearer) is bearer


@pytest.mark.parametrize("value", [("alice", "pw", "extra-secret"), 42, b"bytes-secret", {"a": 1}])
def test_resolve_auth_rejects_other_values_without_echoing_them(value: Any) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        resolve_auth(value)
    assert "secret" not in str(caught.value)


def test_callable_auth_calls_every_time() -> None:
    calls: list[int] = []

    def provider() -> dict[str, str]:
        calls.append(1)
        return {"Authorization": f"Bearer t{len(calls)}"}

    auth = resolve_auth(provider)
    assert auth is not None
    assert auth.headers(NO_TRANSPORT) == {"Authorization": "Bearer t1"}
    assert auth.headers(NO_TRANSPORT) == {"Authorization": "Bearer t2"}
    assert "provider" in repr(auth)


def test_callable_refresh_retries_only_when_the_headers_changed() -> None:
    same = CallableAuth(lambda: {"Authorization": "Bearer fixed"})
    assert same.refresh(NO_TRANSPORT, {"authorization": "Bearer fixed"}) is False
    assert same.refresh(NO_TRANSPORT, {"Authorization": "Bearer older"}) is True


async def test_async_callable_with_async_client() -> None:
    async def provider() -> dict[str, str]:
        return {"Authorization": "Bearer from-async"}

    auth = resolve_auth(provider)
    assert auth is not None
    assert await auth.aheaders(NO_TRANSPORT) == {"Authorization": "Bearer from-async"}
    assert await auth.arefresh(NO_TRANSPORT, {"Authorization": "Bearer from-async"}) is False


def test_async_callable_is_refused_by_the_sync_path() -> None:
    async def provider() -> dict[str, str]:
        return {"Authorization": "Bearer x"}

    with pytest.raises(InvalidArgumentError, match="AsyncDicomClient"):
        resolve_auth(provider, asynchronous=False)
    auth = resolve_auth(provider)
    assert auth is not None
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the coroutine is closed, not leaked un-awaited
        with pytest.raises(InvalidArgumentError, match="async"):
            auth.headers(NO_TRANSPORT)


@pytest.mark.parametrize("result", ["Bearer x", {"Authorization": 5}, {"X": "a\r\nInjected: 1"}])
def test_callable_must_return_clean_headers(result: Any) -> None:
    with pytest.raises(InvalidArgumentError):
        CallableAuth(lambda: result).headers(NO_TRANSPORT)


def test_auth_subclass_needs_headers() -> None:
    class Incomplete(Auth):
        pass

    with pytest.raises(TypeError):
        Incomplete()  # type: ignore[abstract]


@pytest.mark.parametrize(
    "url",
    ["http://dicom.example.org/dicomweb", "http://10.0.0.5:8042/dicom-web", "HTTP://Example.COM/"],
)
def test_insecure_warning_for_plain_http_to_remote_hosts(url: str) -> None:
    with pytest.warns(InsecureCredentialsWarning, match="plain HTTP"):
        assert check_transport_security(url, BearerToken("t")) is True


@pytest.mark.parametrize(
    "url",
    [
        "https://dicom.example.org/dicomweb",
        "http://localhost:8042/dicom-web",
        "http://127.0.0.1:5000/",
        "http://127.0.0.2/",
        "http://[::1]:8080/x",
    ],
)
def test_no_warning_for_https_or_loopback(url: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert check_transport_security(url, BasicAuth("u", "p")) is False


def test_no_warning_without_credentials() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert check_transport_security("http://dicom.example.org/", None) is False


def test_insecure_warning_points_at_the_code_that_built_the_client() -> None:
    class Client:
        def __init__(self, url: str) -> None:
            check_transport_security(url, BearerToken("t"))

    def build_the_client() -> None:
        Client("http://remote.example/")

    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        build_the_client()
        check_transport_security("http://remote.example/", BearerToken("t"), stacklevel=1)
    assert [w.category for w in record] == [InsecureCredentialsWarning] * 2
    assert [w.filename for w in record] == [__file__, __file__]
    assert record[0].lineno == build_the_client.__code__.co_firstlineno + 1
