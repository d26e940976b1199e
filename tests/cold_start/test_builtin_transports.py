"""Built-in transport names are resolved without reading entry points, and agree with them."""

from __future__ import annotations

import textwrap
from importlib import metadata

from dicomkit.transports import registry
from tests._support.python import run_python


def test_builtins_table_is_what_the_distribution_registers() -> None:
    dist = metadata.distribution(registry.BUILTIN_DISTRIBUTION)
    registered = {
        ep.name: ep.value for ep in dist.entry_points.select(group=registry.ENTRY_POINT_GROUP)
    }
    assert registered == registry.BUILTINS
    for name in registry.BUILTINS:
        assert registry._builtin(name) is registry.get(name)


def test_a_builtin_name_reads_no_entry_points_and_another_name_does() -> None:
    script = textwrap.dedent(
        """
        import importlib.metadata as md
        calls = []
        real = md.entry_points
        md.entry_points = lambda *a, **k: calls.append(k) or real(*a, **k)
        from dicomkit.transports import registry
        for name in ("requests", "urllib3", "stdlib"):
            built, owned = registry.resolve_transport(name, asynchronous=False)
            built.close()
        print(len(calls))
        try:
            registry.resolve_transport("no-such-backend", asynchronous=False)
        except LookupError:
            pass
        print(len(calls))
        """
    )
    result = run_python("-c", script)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["0", "1"]


def test_stdlib_errors_are_still_a_module_attribute() -> None:
    import socket
    import ssl

    from dicomkit.core import errors
    from dicomkit.transports import support

    assert support.STDLIB_ERRORS[ssl.SSLError] is errors.TLSError
    assert support.STDLIB_ERRORS[socket.gaierror] is errors.ConnectError
    assert "STDLIB_ERRORS" in support.__all__
