"""``--cluster``: a scheduler address, or ``local:N`` for a LocalCluster of N processes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from dicomkit.core.errors import InvalidArgumentError

__all__ = ["connect"]


@contextmanager
def connect(spec: str) -> Iterator[Any]:
    """A ``distributed.Client`` for ``spec`` (``tcp://host:8786``, ``tls://...``, or
    ``local:N``), closed at the end; a LocalCluster binds 127.0.0.1 and has no dashboard."""
    from distributed import Client, LocalCluster

    if spec.startswith("local:"):
        count = spec.removeprefix("local:")
        if not count.isdigit() or int(count) < 1:
            raise InvalidArgumentError(f"--cluster local:N needs a number N >= 1, not {spec!r}")
        with LocalCluster(
            n_workers=int(count),
            threads_per_worker=4,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster, Client(cluster) as client:
            yield client
        return
    if "://" not in spec:
        raise InvalidArgumentError(
            f"--cluster takes a scheduler address (tcp://host:8786) or local:N, not {spec!r}"
        )
    try:
        client = Client(spec, timeout="30s")
    except OSError as exc:
        raise InvalidArgumentError(f"cannot reach the Dask scheduler at {spec}: {exc}") from exc
    with client:
        yield client
