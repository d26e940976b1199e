"""Every constructor option reaches the client, ``client.config`` and a rebuilt client.

The clients hand their options to the driver as one ``ClientSettings`` value and derive
``client.config`` from it (docs/architecture.md); these checks fail if an option is left out
on the way, or if the public keywords and the settings' fields drift apart.
"""

from __future__ import annotations

import inspect
import pickle
from dataclasses import fields, replace
from typing import Any

import pytest

from dicomkit import AsyncDicomClient, ClientConfig, DicomClient, RetryPolicy, Timeout
from dicomkit.auth import BearerToken
from dicomkit.config import ClientSettings
from dicomkit.core.errors import InvalidArgumentError

URL = "http://127.0.0.1:9/dicom-web"
NETWORK = {"verify", "cert", "proxy"}

# a value unlike the default for every field the settings hold beside url and transport
OPTIONS: dict[str, Any] = {
    "transport_options": {"pool_maxsize": 3},
    "auth": BearerToken("token-for-the-settings-test", pickle_secret=True),
    "retry": RetryPolicy(max_attempts=4, backoff=0.0),
    "timeout": Timeout(connect=2.0, read=9.0),
    "headers": {"X-Flow": "1"},
    "dialect": "orthanc",
    "api_version": "v2",
    "partition": "part-7",
    "qido_prefix": "q",
    "wado_prefix": "w",
    "stow_prefix": "s",
    "chunk_size": 12345,
    "max_json_bytes": 54321,
}
FLAVOURS = [(DicomClient, "urllib3"), (AsyncDicomClient, "httpx")]


def test_the_options_cover_every_field_of_the_settings() -> None:
    names = {option.name for option in fields(ClientSettings)}
    assert set(OPTIONS) == names - {"url", "transport"}
    assert {option.name for option in fields(ClientConfig)} == names


@pytest.mark.parametrize("cls", [DicomClient, AsyncDicomClient])
def test_the_public_keywords_are_the_settings_fields_plus_the_network_ones(cls: type) -> None:
    keywords = set(inspect.signature(cls).parameters) - {"base_url"}
    settings = {option.name for option in fields(ClientSettings)} - {"url"}
    assert keywords == settings | NETWORK


@pytest.mark.parametrize(("cls", "transport"), FLAVOURS, ids=["sync", "async"])
def test_every_option_travels_through_the_config_and_back(cls: Any, transport: str) -> None:
    client = cls(URL, transport=transport, verify=False, **OPTIONS)
    config = client.config
    for name, value in OPTIONS.items():
        expected = {**value, "verify": False} if name == "transport_options" else value
        assert getattr(config, name) == expected, name
    assert config.auth is OPTIONS["auth"]
    assert (config.url, config.transport) == (URL, transport)
    assert client.chunk_size == 12345
    assert client.retry is OPTIONS["retry"]
    assert client.urls.root == f"{URL}/v2/partitions/part-7"
    assert client.urls.qido_root.endswith("/q")
    copy: Any = pickle.loads(pickle.dumps(client))
    assert type(copy) is cls
    assert isinstance(copy.auth, BearerToken)
    assert copy.config == replace(config, auth=copy.auth)  # auth compares by identity
    rebuilt = config.client() if cls is DicomClient else config.async_client()
    assert rebuilt.config == config


def test_an_instance_transport_stays_in_the_client_and_out_of_the_config() -> None:
    from dicomkit.transports import get

    transport: Any = get("urllib3")()
    client = DicomClient(URL, transport=transport)
    assert client.transport is transport
    with pytest.raises(InvalidArgumentError, match="transport instance you built"):
        _ = client.config
    transport.close()
