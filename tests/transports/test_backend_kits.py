"""The test kits a backend author subclasses fail for a backend that breaks their promise."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
import urllib3.exceptions

from dicomkit.core import errors
from dicomkit.testing.contract import CallerSession, Registration, RegistryContract
from dicomkit.testing.exception_mapping import ExceptionMappingTests, LibraryMapping
from dicomkit.transports._requests import RequestsTransport
from dicomkit.transports._urllib3_errors import URLLIB3_ERRORS


class _Broken(ExceptionMappingTests):
    mapping = LibraryMapping([urllib3.exceptions], contextlib.nullcontext)


class _Blind(ExceptionMappingTests):
    """Sees only one module, while the translator's table names classes of others."""

    mapping = LibraryMapping([urllib3.exceptions], URLLIB3_ERRORS, names={"NoSuchError"})


class _Imprecise(ExceptionMappingTests):
    """A bare context (no table lookup) whose promised classes are wrong."""

    mapping = LibraryMapping(
        [urllib3.exceptions],
        URLLIB3_ERRORS.translated,
        precise={urllib3.exceptions.ReadTimeoutError: errors.ConnectTimeout},
    )


def test_an_unmapping_backend_fails_the_exception_kit() -> None:
    broken = _Broken()
    with pytest.raises(AssertionError, match="unmapped"):
        broken.test_every_library_exception_is_mapped_with_its_cause()
    with pytest.raises(AssertionError):
        broken.test_half_built_exceptions_translate_too()
    with pytest.raises(AssertionError, match="__cause__"):
        broken.test_a_failing_body_source_reaches_the_caller_unchanged()


def test_the_exception_kit_checks_names_and_precise_classes() -> None:
    with pytest.raises(AssertionError, match="NoSuchError"):
        _Blind().test_every_library_exception_is_mapped_with_its_cause()
    with pytest.raises(AssertionError, match=r"ReadTimeoutError became .*ReadTimeout"):
        _Imprecise().test_the_most_specific_error_is_chosen()


class _Misregistered(RegistryContract):
    registration = Registration("dicomkit", "urllib3", RequestsTransport)


def test_a_wrong_registration_fails_the_registry_kit() -> None:
    wrong = _Misregistered()
    with pytest.raises(AssertionError):
        wrong.test_the_distribution_declares_the_entry_point()
    with pytest.raises(AssertionError):
        wrong.test_dicomkit_finds_it_by_name()
    with pytest.raises(AssertionError):
        wrong.test_the_registry_builds_it_for_the_clients_it_serves(asynchronous=False)


class _Session:
    def __init__(self) -> None:
        self.closed = False

    def status(self, url: str) -> int:
        assert not self.closed, "GET through a closed session"
        return 200 if url else 404

    def close(self) -> None:
        self.closed = True

    async def astatus(self, url: str) -> int:
        return self.status(url)

    async def aclose(self) -> None:
        self.close()


def _transport(pool_manager: _Session) -> tuple[str, _Session]:
    return ("built on", pool_manager)


def test_a_caller_session_builds_on_the_session_and_the_probe_closes_it() -> None:
    caller = CallerSession(_Session, _transport, "pool_manager", _Session.status, _Session.close)
    built, probe = caller.factory()()
    assert built[0] == "built on"
    session = built[1]
    assert isinstance(session, _Session)
    assert probe("http://h/") == 200
    assert session.closed
    assert caller.on(_Session())[0] == "built on"

    acaller = CallerSession(_Session, _transport, "pool_manager", _Session.astatus, _Session.aclose)

    async def run() -> tuple[int, bool]:
        abuilt, aprobe = await acaller.async_factory()()
        status = await aprobe("http://h/")
        return status, abuilt[1].closed

    assert asyncio.run(run()) == (200, True)
