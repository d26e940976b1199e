"""``https://`` against a plain-HTTP server: the TLS error asks whether the URL should be
``http://`` (issue 12), on every backend, from the one exception translator."""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

import pytest

from dicomkit import AsyncDicomClient, DicomClient
from dicomkit.core import errors
from dicomkit.core.interface import Request, Timeout
from dicomkit.transports import support
from tests.client.conftest import backend_names

QUICK = Timeout(connect=5.0, read=5.0)


def _https(url: str) -> str:
    assert url.startswith("http://")
    return "https://" + url[len("http://") :]


def _check(error: errors.DicomkitError) -> None:
    assert isinstance(error, errors.TLSError)
    assert "should the URL start with http://" in str(error)
    assert any(isinstance(link, ssl.SSLError) for link in support.exception_chain(error))


@pytest.mark.parametrize("backend", backend_names(asynchronous=False))
def test_sync_client_asks_for_http(dicomweb_server: Any, backend: str) -> None:
    url = _https(dicomweb_server.url)
    client = DicomClient(url, transport=backend, retry=False)
    with client, pytest.raises(errors.TLSError) as caught:
        client.search_for_studies()
    _check(caught.value)
    assert url.split("/")[2] in str(caught.value)  # the client names the request too


@pytest.mark.parametrize("backend", backend_names(asynchronous=True))
def test_async_client_asks_for_http(dicomweb_server: Any, backend: str) -> None:
    url = _https(dicomweb_server.url)

    async def search() -> None:
        async with AsyncDicomClient(url, transport=backend, retry=False) as client:
            await client.search_for_studies()

    with pytest.raises(errors.TLSError) as caught:
        asyncio.run(search())
    _check(caught.value)


@pytest.mark.parametrize("backend", backend_names(asynchronous=False))
def test_sync_transport_asks_for_http(dicomweb_server: Any, backend: str) -> None:
    from dicomkit.transports import get

    with get(backend)() as transport, pytest.raises(errors.TLSError) as caught:
        transport.send(Request("GET", _https(dicomweb_server.url) + "/studies", timeout=QUICK))
    _check(caught.value)


def test_other_tls_failures_get_no_such_hint() -> None:
    translator = support.ExceptionTranslator("test", dict)
    failure = ssl.SSLCertVerificationError(1, "certificate verify failed")
    error = translator.translate(ConnectionError("handshake")) or errors.DicomkitError()
    assert "http://" not in str(error)
    wrapped = ConnectionRefusedError("connect")
    wrapped.__cause__ = failure
    translated = translator.translate(wrapped)
    assert isinstance(translated, errors.TLSError)
    assert "http://" not in str(translated)


def test_plain_http_answer_reads_the_reason_through_wrappers() -> None:
    failure = ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)")
    outer = OSError("connect failed")
    outer.__cause__ = failure
    assert support.plain_http_answer(outer)
    assert not support.plain_http_answer(OSError("connect failed"))
    translated = support.ExceptionTranslator("test", dict).translate(outer)
    assert isinstance(translated, errors.TLSError)
    assert str(translated).startswith(support.PLAIN_HTTP_HINT)
