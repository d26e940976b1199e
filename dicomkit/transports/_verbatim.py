"""Send the request target exactly as dicomkit built it, past urllib3's re-encoding.

urllib3 percent-encodes every target character outside RFC 3986's sets (``^`` becomes ``%5E``),
and requests does the same when it prepares a URL. Servers that match QIDO values without
percent-decoding them (Orthanc 1.10) then find nothing for ``PatientName=Doe^Jane``.
dicomkit's URL builder already makes targets fit for the request line, so the pools made here
write them unchanged.

How: the transport names the target it built (:func:`sending`) around the library call; the
pool's ``_make_request`` (urllib3's private last step before the request line is written) swaps
it in only when urllib3's own encoding of it is exactly what urllib3 is about to send, so both
describe the same request. Anything else (absolute-form proxy targets, redirects, another
urllib3 whose hook differs: see :func:`pool_classes`) keeps urllib3's behaviour, and the
contract case ``test_request_target_is_sent_byte_for_byte`` then fails loudly.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import inspect
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import urllib3

__all__ = ["install", "origin_target", "pool_classes", "sending", "with_target"]

# scheme://authority, then an origin-form target of printable ASCII without spaces.
_ORIGIN = re.compile(r"\A[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*(/[!-~]*)\Z")

_WANTED: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "dicomkit_request_target", default=None
)


def origin_target(url: str) -> str | None:
    """The path and query of an absolute URL, or None when it cannot go on the wire as is."""
    match = _ORIGIN.match(url)
    if match is None:
        return None
    return match.group(1).partition("#")[0]


def with_target(url: str, target: str) -> str:
    """``url`` with its path and query replaced by ``target`` (``url`` unchanged if it has none)."""
    match = _ORIGIN.match(url)
    return url if match is None else url[: match.start(1)] + target


@contextlib.contextmanager
def sending(target: str | None) -> Iterator[None]:
    """Name the verbatim target for the pools during one library call (thread and task local)."""
    token = _WANTED.set(target)
    try:
        yield
    finally:
        _WANTED.reset(token)


@functools.cache
def pool_classes() -> dict[str, type[urllib3.HTTPConnectionPool]] | None:
    """``pool_classes_by_scheme`` for a PoolManager, or None if this urllib3 has no usable hook.

    The hook is private: if a urllib3 release renames ``_encode_target`` or changes the
    leading parameters of ``_make_request``, the stock pools are used and requests still work.
    """
    try:
        from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
        from urllib3.util.url import _encode_target
    except ImportError:
        return None
    hook = getattr(HTTPConnectionPool, "_make_request", None)
    if hook is None or not callable(_encode_target):
        return None
    try:
        leading = list(inspect.signature(hook).parameters)[:4]
    except (TypeError, ValueError):
        return None
    if leading != ["self", "conn", "method", "url"]:
        return None
    return {
        "http": _verbatim_pool(HTTPConnectionPool, _encode_target),
        "https": _verbatim_pool(HTTPSConnectionPool, _encode_target),
    }


def _verbatim_pool(
    base: type[urllib3.HTTPConnectionPool], encode: Callable[[str], str]
) -> type[urllib3.HTTPConnectionPool]:
    from dicomkit.transports._heads import head_checked  # http.client: once urllib3 is loaded

    class VerbatimTargetPool(base):  # type: ignore[valid-type,misc]
        """A connection pool writing the target dicomkit named, when it is the same request
        (and refusing an answer whose head was cut short: :mod:`dicomkit.transports._heads`)."""

        ConnectionCls = head_checked(base.ConnectionCls)

        def _make_request(self, conn: Any, method: str, url: str, *args: Any, **kw: Any) -> Any:
            wanted = _WANTED.get()
            if wanted is not None and wanted != url and encode(wanted) == url:
                url = wanted
            return super()._make_request(conn, method, url, *args, **kw)

    VerbatimTargetPool.__name__ = VerbatimTargetPool.__qualname__ = f"Verbatim{base.__name__}"
    return VerbatimTargetPool


def install(manager: urllib3.PoolManager) -> bool:
    """Make a PoolManager dicomkit built use the verbatim pools; False if urllib3 cannot."""
    classes = pool_classes()
    if classes is None:
        return False
    manager.pool_classes_by_scheme = dict(classes)
    return True
