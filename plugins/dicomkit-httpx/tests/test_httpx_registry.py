"""The installed distribution registers ``httpx`` and dicomkit finds it by that name."""

from __future__ import annotations

from dicomkit_httpx import HttpxTransport

from dicomkit.testing.contract import Registration, RegistryContract


class TestHttpxRegistry(RegistryContract):
    registration = Registration("dicomkit-httpx", "httpx", HttpxTransport)
