"""What only an asyncio backend is asked: many tasks on one transport, and cancellation.

With :mod:`dicomkit.testing.contract._threads` this is the one hand-written pair of the
contract suite (tasks here, threads there); ``_sync.py`` is generated from ``_async.py``.
"""

from __future__ import annotations

import asyncio
import hashlib
import warnings
from collections.abc import Awaitable, Callable

import pytest

from dicomkit.core.interface import AsyncTransport, Request
from dicomkit.testing._contract_server import ContractServer, payload
from dicomkit.testing.contract._support import EventLoop, check_payload, echo_of

__all__ = ["RENAMED_ASYNC_CASES", "Body", "Factory", "TaskCases"]

Factory = Callable[..., AsyncTransport]
Body = Callable[[AsyncTransport], Awaitable[None]]


RENAMED_ASYNC_CASES: dict[str, tuple[str, ...]] = {
    "test_head_gzip_and_repeated_fields": (
        "test_head_has_no_body",
        "test_gzip_content_is_decoded",
        "test_repeated_response_fields_are_kept",
    ),
    "test_request_bodies_sized_and_broken": (
        "test_sized_stream_body_is_sent_with_content_length",
        "test_request_body_errors_pass_through",
    ),
    "test_refused_connection_and_timeouts": (
        "test_refused_connection_is_connect_error",
        "test_read_timeout_before_headers",
        "test_read_timeout_mid_body",
    ),
    "test_redirects": (
        "test_redirects_are_followed",
        "test_post_redirect_is_not_followed",
        "test_too_many_redirects",
    ),
    "test_max_redirects_option_and_connection_reuse": (
        "test_max_redirects_option",
        "test_sequential_requests_reuse_a_connection",
    ),
}
"""Async cases split when the sync suite became generated from the async one (issue 10)."""


class TaskCases:
    """Mixed into AsyncTransportContract."""

    def __init_subclass__(cls, **kwargs: object) -> None:
        """A backend's test class that still overrides a split case (to mark it ``xfail``, say)
        is told which cases replaced it, instead of silently overriding nothing."""
        super().__init_subclass__(**kwargs)
        for old, new in RENAMED_ASYNC_CASES.items():
            if old in vars(cls):
                warnings.warn(
                    f"{cls.__name__}.{old}: the contract case {old} was split into "
                    f"{', '.join(new)}; override those instead",
                    DeprecationWarning,
                    stacklevel=2,
                )

    def test_hundred_concurrent_requests(
        self, async_transport_factory: Factory, contract_server: ContractServer
    ) -> None:
        async def one(transport: AsyncTransport, n: int) -> None:
            data = payload(n % 4, 500 + 37 * n)
            url = f"{contract_server.url}/echo?n={n * 11}&seed={n % 3}"
            async with await transport.asend(Request("POST", url, body=data)) as response:
                received = await response.aread()
            assert echo_of(response)["sha256"] == hashlib.sha256(data).hexdigest()
            check_payload(received, payload(n % 3, n * 11))

        async def body() -> None:
            async with async_transport_factory() as transport:
                await asyncio.gather(*(one(transport, n) for n in range(100)))

        EventLoop.once(body)

    def test_cancellation_passes_through_and_leaves_the_transport_usable(
        self, async_transport_factory: Factory, contract_server: ContractServer
    ) -> None:
        base = contract_server.url

        async def body() -> None:
            async with async_transport_factory() as transport:
                task = asyncio.ensure_future(
                    transport.asend(Request("GET", f"{base}/echo?delay=5"))
                )
                await asyncio.sleep(0.2)
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task
                async with await transport.asend(
                    Request("GET", f"{base}/echo?n=10&seed=1")
                ) as last:
                    assert await last.aread() == payload(1, 10)

        EventLoop.once(body)
