"""The public backend helpers of dicomkit.transports.support, on their own."""

from __future__ import annotations

import asyncio
import ssl
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterator

import pytest

from dicomkit.core import Headers, Request, Response, StreamBody, errors
from dicomkit.testing.tls import TLSFiles
from dicomkit.transports.support import (
    BodySourceError,
    ClosedFlag,
    ExceptionTranslator,
    RedirectChain,
    SizedBody,
    afollow_redirects,
    astream_chunks,
    body_chunks,
    checked_headers,
    common_options,
    drain_and_close,
    follow_redirects,
    request_content,
    ssl_context,
    ssl_option,
    stream_chunks,
)


def test_importing_the_helpers_imports_no_http_library() -> None:
    blocked = "import sys; [sys.modules.__setitem__(n, None) for n in HTTP]"
    code = (
        f"HTTP = ('requests', 'urllib3', 'aiohttp', 'httpx'); {blocked}; "
        "import dicomkit.transports.support, dicomkit.testing.exception_mapping"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_importing_the_helpers_or_the_url_builder_loads_no_pydicom() -> None:
    # core.urls, which the redirect decision uses, imports pydicom only to build a query
    code = (
        "import sys; sys.modules['pydicom'] = None; "
        "import dicomkit.transports.support, dicomkit.core.urls; "
        "from dicomkit.core.urls import DicomWebURLs; DicomWebURLs('http://h').retrieve('1.2')"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_checked_headers_spell_case_variants_alike_and_refuse_bad_fields() -> None:
    checked = checked_headers(Headers([("X-Dup", "1"), ("x-dup", "2"), ("Accept", "a/b")]))
    assert checked.items() == [("X-Dup", "1"), ("X-Dup", "2"), ("Accept", "a/b")]
    for bad in [("Bad Name", "x"), ("X-A", "a\r\nX-B: 1"), ("X-A", "caf\u00e9")]:
        with pytest.raises(errors.InvalidArgumentError):
            checked_headers(Headers([bad]))


def test_ssl_option_keeps_plain_bools_and_builds_contexts(tls_files: TLSFiles) -> None:
    assert ssl_option(True, None) is True
    assert ssl_option(False, None) is False
    unverified = ssl_option(False, tls_files.client_cert)
    assert isinstance(unverified, ssl.SSLContext)
    assert unverified.verify_mode == ssl.CERT_NONE
    assert ssl_context(str(tls_files.ca)).verify_mode == ssl.CERT_REQUIRED
    with pytest.raises(errors.InvalidArgumentError):
        ssl_context("/no/such/ca.pem")
    with pytest.raises(errors.TLSError):
        ssl_context(True, str(tls_files.ca))  # a certificate without its key
    with pytest.raises(errors.InvalidArgumentError):
        ssl_option(1, None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("verify", "cert"),
    [("ca\x00.pem", None), (True, "cert\x00.pem"), (True, ("only",)), (True, 5)],
)
def test_ssl_context_refuses_impossible_paths_and_cert_shapes(verify: object, cert: object) -> None:
    with pytest.raises(errors.InvalidArgumentError):
        ssl_context(verify, cert)  # type: ignore[arg-type]


def _redirect(request: Request) -> Response:
    hop = int(request.url.rsplit("/", 1)[1])
    return Response(302, [("Location", f"/{hop + 1}")], stream=[b""], request=request)


def test_the_redirect_chain_counts_and_stops() -> None:
    chain = RedirectChain(Request("GET", "http://h/0"), max_redirects=2)
    assert chain.next_request(_redirect(chain.request)).url == "http://h/1"  # type: ignore[union-attr]
    assert chain.next_request(_redirect(chain.request)).url == "http://h/2"  # type: ignore[union-attr]
    with pytest.raises(errors.TooManyRedirectsError):
        chain.next_request(_redirect(chain.request))
    with pytest.raises(errors.InvalidArgumentError):
        RedirectChain(Request("GET", "http://h/0"), max_redirects=-1)


def test_sync_and_async_drivers_close_every_answer_left_behind() -> None:
    sent: list[Response] = []

    def send(request: Request) -> Response:
        sent.append(_redirect(request))
        return sent[-1]

    with pytest.raises(errors.TooManyRedirectsError):
        follow_redirects(Request("GET", "http://h/0"), send, 3)
    assert len(sent) == 4
    assert all(response.is_closed for response in sent)

    async def asend(request: Request) -> Response:
        return send(request)

    sent.clear()
    with pytest.raises(errors.TooManyRedirectsError):
        asyncio.run(afollow_redirects(Request("GET", "http://h/0"), asend, 1))
    assert len(sent) == 2
    assert all(response.is_closed for response in sent)


class _StatusError(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(f"status {status}")
        self.status = status


def test_the_translator_keeps_statuses_finds_tls_causes_and_frees_body_errors() -> None:
    translator = ExceptionTranslator(
        "lib", lambda: {_StatusError: errors.HTTPError, LookupError: errors.ConnectError}
    )
    error = translator.translate(_StatusError(404))
    assert isinstance(error, errors.NotFoundError)
    assert error.status == 404
    wrapped = LookupError("connect failed")
    wrapped.__cause__ = ssl.SSLError("certificate verify failed")
    assert isinstance(translator.translate(wrapped), errors.TLSError)
    assert isinstance(translator.translate(ConnectionResetError()), errors.ConnectionLostError)
    assert translator.translate(TypeError("a bug")) is None

    def failing() -> list[bytes]:
        raise OSError("the caller's file vanished")

    with pytest.raises(BodySourceError) as marked:
        list(body_chunks(Request("POST", "http://h/", body=failing)))
    with pytest.raises(OSError, match="vanished") as caught, translator.translated():
        raise LookupError("send failed") from marked.value
    assert caught.value is marked.value.original


@pytest.mark.parametrize(
    ("length", "drained"),
    [("3", True), ("\u00b2", False), ("9" * 5000, False), ("", False)],
    ids=["small", "superscript-two", "5000-digits", "absent"],
)
def test_a_redirect_body_is_drained_only_when_its_length_is_small_and_readable(
    length: str, drained: bool
) -> None:
    read: list[bytes] = []
    closed: list[bool] = []

    def body() -> Iterator[bytes]:
        read.append(b"abc")
        yield b"abc"

    headers = Headers([("Content-Length", length)] if length else [])
    response = Response(302, headers, stream=body(), on_close=lambda: closed.append(True))
    drain_and_close(response)
    assert closed == [True]
    assert read == ([b"abc"] if drained else [])


class _Wrapper(Exception):
    """Stands in for urllib3's MaxRetryError or requests' ConnectionError."""


def test_a_wrapped_error_decides_when_it_is_more_precise() -> None:
    translator = ExceptionTranslator(
        "lib",
        lambda: {_Wrapper: errors.ConnectError, LookupError: errors.ConnectionLostError},
        unwrap=lambda exc: exc.args[0] if exc.args and isinstance(exc.args[0], Exception) else None,
    )
    # the wrapper's ConnectError is generic: what it wraps decides
    assert type(translator.translate(_Wrapper(LookupError("cut")))) is errors.ConnectionLostError
    assert type(translator.translate(_Wrapper(TimeoutError()))) is errors.TimeoutError
    # nothing translatable inside: the wrapper's own class
    assert type(translator.translate(_Wrapper(TypeError("bug")))) is errors.ConnectError
    assert type(translator.translate(_Wrapper("text"))) is errors.ConnectError
    # without unwrap, the wrapper's class alone
    plain = ExceptionTranslator("lib", lambda: {_Wrapper: errors.ConnectError})
    assert type(plain.translate(_Wrapper(LookupError("cut")))) is errors.ConnectError


def test_a_specific_wrapper_keeps_its_class_unless_the_inner_one_is_a_subclass() -> None:
    translator = ExceptionTranslator(
        "lib",
        lambda: {_Wrapper: errors.TimeoutError},
        unwrap=lambda exc: exc.args[0] if exc.args else None,
    )
    inner = ConnectionResetError("reset")  # ConnectionLostError: not a kind of timeout
    assert type(translator.translate(_Wrapper(inner))) is errors.TimeoutError
    read = ExceptionTranslator("inner", lambda: {KeyError: errors.ReadTimeout})
    nested = ExceptionTranslator(
        "lib", lambda: {_Wrapper: errors.TimeoutError, **read.table()}, unwrap=lambda e: e.args[0]
    )
    assert type(nested.translate(_Wrapper(KeyError("slow")))) is errors.ReadTimeout


def test_stdlib_table_covers_http_client() -> None:
    import http.client

    translator = ExceptionTranslator("lib", dict)
    assert isinstance(
        translator.translate(http.client.IncompleteRead(b"ab", 5)), errors.ConnectionLostError
    )
    assert isinstance(
        translator.translate(http.client.InvalidURL("x")), errors.InvalidArgumentError
    )
    assert translator.translate(ValueError("a bug")) is None


def test_the_closed_flag_closes_once_and_then_refuses() -> None:
    flag = ClosedFlag("mylib")
    flag.check()
    assert not flag.closed
    assert flag.close_once() is True
    assert flag.close_once() is False
    assert flag.closed
    with pytest.raises(errors.TransportClosedError, match="the mylib transport is closed"):
        flag.check()


def test_common_options_fill_in_defaults_and_refuse_what_python_would() -> None:
    defaults = common_options({})
    assert (defaults.verify, defaults.cert, defaults.max_redirects) == (True, None, 10)
    assert defaults.pool_maxsize == 10
    assert common_options({}, pool_maxsize=100).pool_maxsize == 100
    given = common_options({"verify": "/ca.pem", "max_redirects": 0, "pool_maxsize": 3})
    assert (given.verify, given.max_redirects, given.pool_maxsize) == ("/ca.pem", 0, 3)
    assert common_options({"pool_maxsize": 0}, min_pool_maxsize=0).pool_maxsize == 0
    with pytest.raises(TypeError, match="'verfy'"):
        common_options({"verfy": False})  # type: ignore[typeddict-unknown-key]
    with pytest.raises(errors.InvalidArgumentError, match="pool_maxsize"):
        common_options({"pool_maxsize": 0})
    with pytest.raises(errors.InvalidArgumentError, match="max_redirects"):
        common_options({"max_redirects": -1})


def test_request_content_keeps_bytes_and_streams_with_their_length() -> None:
    sent = Headers([("X-A", "1")])
    headers, content = request_content(Request("PUT", "http://h/", sent, b"abc"))
    assert (headers.items(), content) == ([("X-A", "1")], b"abc")
    assert request_content(Request("GET", "http://h/"))[1] is None
    sized = Request("PUT", "http://h/", body=StreamBody(lambda: [b"ab", b"c"], 3))
    headers, content = request_content(sized)
    assert headers.get("Content-Length") == "3"
    assert isinstance(content, Iterator)
    assert b"".join(content) == b"abc"
    unsized = Request("PUT", "http://h/", body=StreamBody(lambda: [b"x"]))
    headers, content = request_content(unsized, asynchronous=True)
    assert headers.get("Content-Length") is None
    assert isinstance(content, AsyncIterator)

    async def collect() -> bytes:
        assert isinstance(content, AsyncIterator)
        return b"".join([chunk async for chunk in content])

    assert asyncio.run(collect()) == b"x"
    with pytest.raises(errors.InvalidArgumentError):
        request_content(Request("GET", "http://h/", Headers([("Bad Name", "x")])))


def test_a_sized_body_reports_its_length_and_marks_the_callers_errors() -> None:
    body = SizedBody(Request("POST", "http://h/", body=StreamBody(lambda: [b"ab", b"c"], 3)))
    assert (len(body), bool(body), b"".join(body)) == (3, True, b"abc")
    unsized = SizedBody(Request("POST", "http://h/", body=StreamBody(lambda: [])))
    assert (len(unsized), bool(unsized)) == (0, True)

    def failing() -> Iterator[bytes]:
        yield b"a"
        raise OSError("vanished")

    with pytest.raises(BodySourceError):
        list(SizedBody(Request("POST", "http://h/", body=StreamBody(failing))))


def _broken_chunks() -> Iterator[bytes]:
    yield b"a"
    raise LookupError("library hiccup")


def test_response_streams_translate_and_name_a_close_under_them() -> None:
    translator = ExceptionTranslator("lib", lambda: {LookupError: errors.ConnectionLostError})
    chunks = stream_chunks(_broken_chunks(), translator.translated)
    assert next(chunks) == b"a"
    with pytest.raises(errors.ConnectionLostError):
        next(chunks)
    closed = stream_chunks(_broken_chunks(), translator.translated, closed=lambda: True)
    with pytest.raises(errors.TransportClosedError, match="closed while this response"):
        list(closed)

    async def broken() -> AsyncIterator[bytes]:
        for chunk in _broken_chunks():
            yield chunk

    async def read(closed: bool) -> list[bytes]:
        return [c async for c in astream_chunks(broken(), translator.translated, lambda: closed)]

    with pytest.raises(errors.ConnectionLostError):
        asyncio.run(read(False))
    with pytest.raises(errors.TransportClosedError):
        asyncio.run(read(True))


def test_an_async_body_left_early_closes_its_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    """The stream is closed even when something else still holds it (refcounting can't)."""
    from dicomkit.transports import support

    closed: list[str] = []
    held: list[Iterator[bytes]] = []

    def source() -> Iterator[bytes]:
        try:
            yield from (b"a", b"b", b"c")
        finally:
            closed.append("source")

    def kept_chunks(request: Request) -> Iterator[bytes]:
        held.append(body_chunks(request))
        return held[-1]

    monkeypatch.setattr(support, "body_chunks", kept_chunks)

    async def read_one() -> bytes:
        chunks = support.abody_chunks(Request("PUT", "http://h/", body=StreamBody(source)))
        first = await anext(chunks)
        await chunks.aclose()  # type: ignore[attr-defined]
        return first

    assert asyncio.run(read_one()) == b"a"
    assert closed == ["source"]


def test_an_async_body_cancelled_mid_read_closes_after_the_read() -> None:
    """Closing waits for a read still running on its thread: no 'generator already executing'."""
    from dicomkit.transports.support import abody_chunks

    reading, release = asyncio.Event(), threading.Event()
    closed: list[str] = []

    def source(loop: asyncio.AbstractEventLoop) -> Iterator[bytes]:
        try:
            yield b"a"
            loop.call_soon_threadsafe(reading.set)
            release.wait(10)
            yield b"b"
        finally:
            closed.append("source")

    async def cancel_mid_read() -> None:
        loop = asyncio.get_running_loop()
        chunks = abody_chunks(Request("PUT", "http://h/", body=StreamBody(lambda: source(loop))))

        async def consume() -> None:
            async for _ in chunks:
                pass

        task = asyncio.ensure_future(consume())
        await reading.wait()
        task.cancel()
        loop.call_later(0.05, release.set)
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(cancel_mid_read())
    assert closed == ["source"]
