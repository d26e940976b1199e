"""The transport contract suite: every backend, ours or a third party's, passes the same tests.

A backend author writes one fixtures class and one-line test classes::

    from dicomkit.testing.contract import (
        AsyncTransportContract, CallerSession, TransportContract, TransportFixtures,
    )

    class MyFixtures(TransportFixtures):
        backend = MyTransport               # built as MyTransport(**options)
        caller_session = CallerSession(mylib.Session, MyTransport, "session", status, close)

    class TestMySync(MyFixtures, TransportContract): ...
    class TestMyAsync(MyFixtures, AsyncTransportContract): ...

(or overrides the fixtures :class:`TransportFixtures` names, for anything the class attributes
cannot say). A registered backend adds
``class TestMyRegistry(RegistryContract): registration = Registration(dist, name, MyTransport)``;
an async backend whose reads notice a close under them adds ``AsyncReadAfterCloseContract``.

Tests of your own may use the suite's server through the ``contract_server`` fixture (a
:class:`ContractServer`: ``.url``, ``.other_host_url``), and the helpers its lifecycle cases
use: :func:`client_sockets` and :func:`files_open` count what this process holds open without
the garbage collector, :func:`forked` and :func:`exit_status` run a check in a forked child.
A single case may be marked as expected to fail by overriding it in the test class with
``pytest.mark.xfail``. The suite starts its own HTTP server on 127.0.0.1
(:mod:`dicomkit.testing._contract_server`); property tests follow the Hypothesis profile chosen
by ``DICOMKIT_HYPOTHESIS_PROFILE`` (``fast`` by default). Register the package for assertion
rewriting: ``pytest.register_assert_rewrite("dicomkit.testing.contract")``.
The suite is versioned (:data:`CONTRACT_VERSION`, docs/contract-changelog.md): a plugin's
``conftest.py`` may call ``require_contract("2.0")``. docs/plugins.md is the author's guide.
"""

try:
    import hypothesis  # noqa: F401  (checked first so a missing one names what to install)
    import pytest  # noqa: F401
except ModuleNotFoundError as _missing:
    if _missing.name not in ("hypothesis", "pytest"):
        raise
    raise ModuleNotFoundError(
        f"the transport contract suite needs {_missing.name}: pip install pytest hypothesis",
        name=_missing.name,
    ) from _missing

from dicomkit.testing._contract_server import ContractServer
from dicomkit.testing.contract._async import AsyncTransportContract
from dicomkit.testing.contract._closing import AsyncReadAfterCloseContract
from dicomkit.testing.contract._fixtures import CallerSession, TransportFixtures
from dicomkit.testing.contract._proxy import ProxyServer
from dicomkit.testing.contract._registry import Registration, RegistryContract
from dicomkit.testing.contract._support import (
    BAD_REQUESTS,
    client_sockets,
    exit_status,
    files_open,
    forked,
)
from dicomkit.testing.contract._sync import TransportContract
from dicomkit.testing.contract._version import (
    CONTRACT_VERSION,
    ContractVersionError,
    require_contract,
)

__all__ = [
    "BAD_REQUESTS",
    "CONTRACT_VERSION",
    "ContractVersionError",
    "ProxyServer",
    "require_contract",
    "AsyncReadAfterCloseContract",
    "AsyncTransportContract",
    "CallerSession",
    "ContractServer",
    "Registration",
    "RegistryContract",
    "TransportContract",
    "TransportFixtures",
    "client_sockets",
    "exit_status",
    "files_open",
    "forked",
]
