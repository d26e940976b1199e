"""What only a sync backend is asked: threads sharing one transport.

With :mod:`dicomkit.testing.contract._tasks` this is the one hand-written pair of the contract
suite (threads here, tasks there); ``_sync.py`` is generated from ``_async.py``.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable

from dicomkit.core.interface import Request, Transport
from dicomkit.testing._contract_server import ContractServer, payload
from dicomkit.testing.contract._support import check_payload, echo_of

__all__ = ["Body", "Factory", "ThreadCases"]

Factory = Callable[..., Transport]
Body = Callable[[Transport], None]


class ThreadCases:
    """Mixed into TransportContract."""

    def test_eight_threads_share_one_transport(
        self, transport: Transport, contract_server: ContractServer
    ) -> None:
        failures: list[BaseException] = []

        def work(worker: int) -> None:
            try:
                for round_ in range(12):
                    data = payload(worker, 1000 * round_ + worker)
                    url = f"{contract_server.url}/echo?n={len(data)}&seed={round_ % 4}"
                    with transport.send(Request("POST", url, body=data)) as response:
                        received = response.read()
                    assert echo_of(response)["sha256"] == hashlib.sha256(data).hexdigest()
                    check_payload(received, payload(round_ % 4, len(data)))
            except BaseException as exc:
                failures.append(exc)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []
