"""The stdlib backend runs the shared contract exactly as a third-party backend would.

It has no caller's session (``http.client`` has no session object), so the one case about a
caller-owned session is skipped by the suite itself, as for any backend without one.
"""

from __future__ import annotations

from dicomkit.testing.contract import (
    Registration,
    RegistryContract,
    TransportContract,
    TransportFixtures,
)
from dicomkit.transports._stdlib import StdlibTransport


class StdlibFixtures(TransportFixtures):
    backend = StdlibTransport


class TestStdlibContract(StdlibFixtures, TransportContract):
    pass


class TestStdlibRegistry(RegistryContract):
    registration = Registration("dicomkit", "stdlib", StdlibTransport)
