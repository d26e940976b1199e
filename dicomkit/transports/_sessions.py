"""A backend's session as a process and a caller own it: the fork rule and the session rule.

Both are part of the public toolkit :mod:`dicomkit.transports.support`, which re-exports them;
they live here to keep that module to one screenful of jobs. See docs/transports.md, sections
"Forks" and "Sessions".
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

from dicomkit.core import errors
from dicomkit.core.interface import Headers
from dicomkit.core.version import USER_AGENT

__all__ = [
    "SESSION_OPTIONS",
    "ProcessLocal",
    "refuse_session_options",
    "session_fields",
]

# -- a caller's own session ------------------------------------------------------------------

SESSION_OPTIONS = ("verify", "cert", "pool_maxsize", "proxy")
"""The common options that configure a session, and so cannot apply to one the caller built."""


def refuse_session_options(
    options: Mapping[str, object], session: str, **also: object | None
) -> None:
    """Refuse options that would be silently ignored because the caller brought ``session``.

    ``options`` are the backend's :class:`TransportOptions` as given (before defaults), ``also``
    the backend's own session settings, a None value meaning "not given" (``trust_env``):
    ``InvalidArgumentError`` names each one and says where it belongs instead.
    """
    given = [name for name in SESSION_OPTIONS if name in options]
    given += [name for name, value in also.items() if value is not None]
    if given:
        names = ", ".join(f"{name}=" for name in given)
        raise errors.InvalidArgumentError(
            f"{names} cannot apply to the {session} you passed, which dicomkit uses as it is: "
            f"configure {'them' if len(given) > 1 else 'it'} on your {session}, or leave the "
            "session out and dicomkit builds one with these options"
        )


def session_fields(
    headers: Headers,
    session_headers: Mapping[str, str] | None,
    *,
    session_auth: bool = False,
    stock_agent: str | None = None,
    merge: bool = False,
) -> Headers:
    """The request's header fields under the one rule for a caller's session (every backend).

    * Fields the request carries win over the session's defaults of the same name: the
      client's ``headers=``, and ``Authorization`` from its ``auth=``.
    * Except ``User-Agent``: dicomkit's default gives way to one the caller set on the
      session (one that is not the library's ``stock_agent``); a ``User-Agent`` in the
      client's ``headers=`` still wins.
    * Credentials in two places are refused (``InvalidArgumentError``): a request with
      ``Authorization`` and a session with auth of its own (``session_auth``, or an
      ``Authorization`` default field) would otherwise see one silently replace the other.
    * The session's other fields are sent too: by the library itself, or added here when
      ``merge`` (for libraries that drop a session's defaults once a request has fields).
    """
    defaults = Headers(list(session_headers.items()) if session_headers is not None else None)
    if "Authorization" in headers and (session_auth or "Authorization" in defaults):
        raise errors.InvalidArgumentError(
            "credentials in two places: the client sends Authorization (auth= or headers=) and "
            "the session you passed has auth of its own; keep one of them"
        )
    result = Headers(headers)
    agent = defaults.get("User-Agent")
    if result.get("User-Agent") == USER_AGENT and agent is not None and agent != stock_agent:
        result.remove("User-Agent")
        if merge:
            result.set("User-Agent", agent)
    if merge:
        for name, value in defaults.items():
            if name not in result:
                result.add(name, value)
    return result


# -- forks -----------------------------------------------------------------------------------

_T = TypeVar("_T")

_INHERITED: list[object] = []
"""What forked children inherited and must never use: kept alive here, so that no library
finaliser runs on another process's connections (an aiohttp session warning that it was never
closed, a pool shutting sockets the parent still reads). It goes when the child exits."""

_LOCALS: weakref.WeakSet[ProcessLocal[Any]] = weakref.WeakSet()


class ProcessLocal(Generic[_T]):
    """A backend's session, pool or client, as the process that opened it owns it.

    Connections are not shareable across ``os.fork()``: a child writing on its parent's
    keep-alive socket interleaves the two processes' requests and answers. A backend keeps its
    session here and asks :meth:`get` for it on every request; in a forked child, the parent's
    session is dropped (never used, never closed, see :data:`_INHERITED`) and ``build`` opens a
    new one. A session the caller gave (``build`` is None) cannot be rebuilt: in a child,
    :meth:`get` raises :class:`~dicomkit.core.errors.TransportClosedError` saying so. The lock
    is made anew in a child (``os.register_at_fork``), so a parent's thread holding it at the
    fork cannot hang the child.
    """

    def __init__(self, what: str, build: Callable[[], _T] | None, given: _T | None = None) -> None:
        self._what = what
        self._build = build
        self._value: _T | None = given
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._gone = f"the {what} is gone"
        self._closed = False
        _LOCALS.add(self)

    @property
    def owned(self) -> bool:
        """Whether dicomkit opened the value (and so closes it), rather than the caller."""
        return self._build is not None

    def get(self) -> _T:
        """The value for this process: built on first use, and again in a forked child."""
        with self._lock:
            if self._pid != os.getpid():
                self._forked()
            if self._closed:
                raise errors.TransportClosedError(f"the {self._what} is closed")
            if self._value is None:
                if self._build is None:
                    raise errors.TransportClosedError(self._gone)
                self._value = self._build()
            return self._value

    def peek(self) -> _T | None:
        """The value if this process has one, without building it."""
        with self._lock:
            return self._value if self._pid == os.getpid() else None

    def take(self) -> _T | None:
        """Forget the value for good (:meth:`get` refuses from now on); return it when this
        process opened it and it is ours to close."""
        with self._lock:
            self._closed = True
            value, self._value = self._value, None
            if self._pid != os.getpid():
                self._forked()
                return None
            return value if self.owned else None

    def _forked(self) -> None:
        inherited, self._value = self._value, None
        if inherited is not None:
            _INHERITED.append(inherited)
        parent, self._pid = self._pid, os.getpid()
        self._gone = (
            f"the {self._what} given to this transport was opened in process {parent}; this is "
            f"a child forked from it (process {self._pid}), where its connections would be "
            "shared with the parent: give the child a transport (and session) of its own"
        )

    def _after_fork(self) -> None:
        self._lock = threading.Lock()


def _after_fork_in_child() -> None:
    for local in list(_LOCALS):
        local._after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
