"""The installed distribution registers ``aiohttp`` and dicomkit finds it by that name."""

from __future__ import annotations

from dicomkit_aiohttp import AiohttpTransport

from dicomkit.testing.contract import Registration, RegistryContract


class TestAiohttpRegistry(RegistryContract):
    registration = Registration("dicomkit-aiohttp", "aiohttp", AiohttpTransport)
