"""``OAuth2ClientCredentials.from_env``: the legacy AUTH_CONNECTION_INFO format, safely parsed."""

from __future__ import annotations

import json
import traceback
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dicomkit.auth import OAuth2ClientCredentials
from dicomkit.core.errors import AuthError

LEGACY = {
    "authority": "https://login.microsoftonline.com/0000-tenant-1111",
    "client_id": "app-id-123",
    "client_secret": "SECRET",
    "oauth_resource": "https://dicom.healthcareapis.azure.com",
}


def legacy(secret: str, **changes: Any) -> dict[str, Any]:
    info = {**LEGACY, "client_secret": secret, **changes}
    return {key: value for key, value in info.items() if value is not None}


def assert_secret_hidden(error: BaseException, secret: str) -> None:
    """Not in the message, the args, the chained errors, or the locals of our frames."""
    assert secret not in str(error)
    assert secret not in repr(error.args)
    assert error.__context__ is None
    assert error.__cause__ is None
    tb = error.__traceback__
    assert tb is not None
    tb = tb.tb_next  # the test's own frame holds the secret it passed in
    while tb is not None:
        for name, value in tb.tb_frame.f_locals.items():
            if name != "environ":  # the caller's own mapping, not ours to mask
                assert secret not in repr(value), f"{name} in {tb.tb_frame.f_code.co_name}"
        tb = tb.tb_next
    assert secret not in "".join(traceback.format_exception(error))


def test_legacy_python_literal(monkeypatch: pytest.MonkeyPatch, secret: str) -> None:
    monkeypatch.setenv("AUTH_CONNECTION_INFO", repr(legacy(secret)))
    auth = OAuth2ClientCredentials.from_env()
    assert auth.token_url == (
        "https://login.microsoftonline.com/0000-tenant-1111/oauth2/v2.0/token"
    )
    assert auth.client_id == "app-id-123"
    assert auth.scope == "https://dicom.healthcareapis.azure.com/.default"
    assert secret not in repr(auth)


def test_the_secret_read_from_the_environment_is_sent(endpoint: Any, secret: str) -> None:
    environ = {"AUTH_CONNECTION_INFO": repr(legacy(secret))}
    auth = OAuth2ClientCredentials.from_env(environ=environ)
    assert auth.headers(endpoint) == {"Authorization": "Bearer token-1"}
    assert endpoint.bodies[0]["client_secret"] == secret
    assert endpoint.bodies[0]["scope"] == "https://dicom.healthcareapis.azure.com/.default"


def test_json_other_variable_name_and_trailing_slashes(secret: str) -> None:
    info = legacy(secret, authority="https://login.example/tenant/", oauth_resource="https://r/")
    auth = OAuth2ClientCredentials.from_env(
        "MY_DICOM_AUTH", environ={"MY_DICOM_AUTH": json.dumps(info)}, refresh_margin=5
    )
    assert auth.token_url == "https://login.example/tenant/oauth2/v2.0/token"
    # Azure's rule: a resource ending in "/" keeps it, giving "//.default"
    assert auth.scope == "https://r//.default"


def test_extra_keys_are_ignored(secret: str) -> None:
    environ = {"AUTH_CONNECTION_INFO": repr(legacy(secret, tenant_id="t", extra=[1, 2]))}
    assert OAuth2ClientCredentials.from_env(environ=environ).client_id == "app-id-123"


def test_unset_variable_is_named() -> None:
    with pytest.raises(AuthError, match="AUTH_CONNECTION_INFO is not set"):
        OAuth2ClientCredentials.from_env(environ={})
    with pytest.raises(AuthError, match="OTHER is not set"):
        OAuth2ClientCredentials.from_env("OTHER", environ={"OTHER": "  "})


@pytest.mark.parametrize("key", ["authority", "client_id", "client_secret", "oauth_resource"])
def test_missing_key_is_named_and_secret_never_echoed(key: str, secret: str) -> None:
    info = legacy(secret)
    del info[key]
    with pytest.raises(AuthError, match=f"missing the key\\(s\\): {key}$") as caught:
        OAuth2ClientCredentials.from_env(environ={"AUTH_CONNECTION_INFO": repr(info)})
    assert_secret_hidden(caught.value, secret)


def test_several_missing_keys_are_all_named(secret: str) -> None:
    info = {"client_secret": secret}
    with pytest.raises(AuthError, match="authority, client_id, oauth_resource"):
        OAuth2ClientCredentials.from_env(environ={"AUTH_CONNECTION_INFO": repr(info)})


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"client_id": ""}, r"\['client_id'\] must be a non-empty string"),
        ({"client_secret": "   "}, r"\['client_secret'\] must be a non-empty string"),
        ({"oauth_resource": 42}, r"\['oauth_resource'\] must be a non-empty string"),
        ({"authority": "login.microsoftonline.com/t"}, r"\['authority'\] must be a URL"),
    ],
)
def test_bad_values_name_their_key(changes: dict[str, Any], message: str, secret: str) -> None:
    environ = {"AUTH_CONNECTION_INFO": repr(legacy(secret, **changes))}
    with pytest.raises(AuthError, match=message) as caught:
        OAuth2ClientCredentials.from_env(environ=environ)
    assert_secret_hidden(caught.value, secret)


@pytest.mark.parametrize(
    "template",
    [
        "{'authority': 'https://a/t', 'client_secret': 'SECRET', ",  # truncated
        "['SECRET']",  # not a dict
        "{'client_secret': 'SECRET' 'client_id': }",  # syntax error quoting the secret
        "client_secret=SECRET",
        "{'client_secret': f'SECRET'}",
        pytest.param("[" * 100_000 + "'SECRET'", id="nested-past-the-stack"),
    ],
)
def test_malformed_values_never_echo_the_secret(template: str, secret: str) -> None:
    environ = {"AUTH_CONNECTION_INFO": template.replace("SECRET", secret)}
    with pytest.raises(AuthError, match="AUTH_CONNECTION_INFO is not a dict literal") as caught:
        OAuth2ClientCredentials.from_env(environ=environ)
    assert_secret_hidden(caught.value, secret)


def test_the_value_is_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    code = f"__import__('pathlib').Path({str(marker)!r}).touch() or {LEGACY!r}"
    with pytest.raises(AuthError, match="not a dict literal"):
        OAuth2ClientCredentials.from_env(environ={"AUTH_CONNECTION_INFO": code})
    assert not marker.exists()


# A marker around the random part, so a match can only be the secret itself.
secrets_text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\0")
).map(lambda s: f"s3cr3t<{s}>")


@given(secret=secrets_text, drop=st.sampled_from(["authority", "client_id", "oauth_resource"]))
def test_any_secret_stays_hidden_when_a_key_is_missing(secret: str, drop: str) -> None:
    info = legacy(secret)
    del info[drop]
    with pytest.raises(AuthError) as caught:
        OAuth2ClientCredentials.from_env(environ={"AUTH_CONNECTION_INFO": repr(info)})
    assert drop in str(caught.value)
    assert_secret_hidden(caught.value, secret)


@given(secret=secrets_text)
def test_any_secret_round_trips_through_the_legacy_literal(secret: str) -> None:
    auth = OAuth2ClientCredentials.from_env(environ={"AUTH_CONNECTION_INFO": repr(legacy(secret))})
    body = b"".join(auth.token_request().iter_body()).decode()
    assert parse_qs(body)["client_secret"] == [secret]
    assert secret not in repr(auth)
