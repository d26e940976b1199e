"""``--cluster``: a scheduler address, or ``local:N`` for a LocalCluster of N processes; and the
command line's client configuration made fit to travel to workers."""

from __future__ import annotations

import os
import pickle
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from dicomkit import ClientConfig
from dicomkit.core.errors import InvalidArgumentError

if TYPE_CHECKING:
    from dicomkit.auth import Auth

__all__ = ["connect", "for_workers"]


@contextmanager
def connect(spec: str) -> Iterator[Any]:
    """A ``distributed.Client`` for ``spec`` (``tcp://host:8786``, ``tls://...``, or
    ``local:N``), closed at the end; a LocalCluster binds 127.0.0.1, has no dashboard, and
    gives a worker no more tasks than it has threads (``worker-saturation`` 1.0: with the
    default 1.1 a worker may hold a task it cannot start while another idles, and the run's
    requests in flight stay below the cap; docs/dask.md, "Sizing the cap")."""
    import distributed
    from dask import config as settings

    dask: Any = distributed  # untyped: its calls are not checked
    dask_config: Any = settings
    if spec.startswith("local:"):
        count = spec.removeprefix("local:")
        if not count.isdigit() or int(count) < 1:
            raise InvalidArgumentError(f"--cluster local:N needs a number N >= 1, not {spec!r}")
        with (
            dask_config.set({"distributed.scheduler.worker-saturation": 1.0}),
            dask.LocalCluster(
                n_workers=int(count),
                threads_per_worker=4,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
            ) as cluster,
            dask.Client(cluster) as client,
        ):
            yield client
        return
    if "://" not in spec:
        raise InvalidArgumentError(
            f"--cluster takes a scheduler address (tcp://host:8786) or local:N, not {spec!r}"
        )
    try:
        client = dask.Client(spec, timeout="30s")
    except OSError as exc:
        raise InvalidArgumentError(f"cannot reach the Dask scheduler at {spec}: {exc}") from exc
    with client:
        yield client


def for_workers(
    config: ClientConfig,
    *,
    password_variable: str = "DICOMWEB_PASSWORD",
    token_variable: str = "DICOMWEB_TOKEN",
) -> ClientConfig:
    """``config`` with its secret given as the environment variable it came from, so that it
    pickles as that name and every worker reads its own copy (docs/dask.md). The command line
    reads a password or token from a variable (by default its own, docs/cli.md) as text; a
    secret that came from elsewhere (a prompt, ``--token``) cannot reach the workers:
    InvalidArgumentError says what to set."""
    from dicomkit.auth import BasicAuth, BearerToken, EnvSecret, SecretNotPicklableError

    try:
        pickle.dumps(config.auth)
        return config
    except SecretNotPicklableError:
        pass
    auth: Auth
    if isinstance(config.auth, BasicAuth) and os.environ.get(password_variable):
        auth = BasicAuth(config.auth.username, EnvSecret(password_variable))
    elif isinstance(config.auth, BearerToken) and os.environ.get(token_variable):
        auth = BearerToken(EnvSecret(token_variable))
    else:
        raise InvalidArgumentError(
            "--cluster: the workers read the secret from their own environment: set "
            f"{password_variable} (basic auth) or {token_variable} (a token) here and on every "
            "worker, instead of typing it or passing it as an option"
        )
    return replace(config, auth=auth)
