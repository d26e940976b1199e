"""Finding backends by name: entry points of other distributions, the clash rule, refusals."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import warnings
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import NamedTuple

import pytest

from dicomkit.core.errors import InvalidArgumentError, TransportNotFoundError
from dicomkit.core.interface import AsyncTransport, Request, Response, Transport
from dicomkit.testing.contract import Registration, RegistryContract
from dicomkit.transports import registry
from dicomkit.transports._requests import RequestsTransport
from dicomkit.transports._urllib3 import Urllib3Transport

BACKEND_SOURCE = """
from dicomkit.core.interface import AsyncTransport, Response, Transport

class FakeTransport(Transport):
    def __init__(self, **options):
        self.options = options
    def send(self, request):
        return Response(299)
    def close(self):
        pass

class FakeAsyncTransport(AsyncTransport):
    async def asend(self, request):
        return Response(298)
    async def aclose(self):
        pass

LOADED = True
"""


def _distribution(site: Path, dist: str, entries: dict[str, str]) -> None:
    """A distribution as pip would leave it: a dist-info folder with metadata and entry points."""
    info = site / f"{dist.replace('-', '_')}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    lines = [f"{name} = {target}" for name, target in entries.items()]
    (info / "entry_points.txt").write_text("[dicomkit.transports]\n" + "\n".join(lines) + "\n")


class Site(NamedTuple):
    root: Path
    module: str


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    """A fresh sys.path entry holding a backend module; distributions are added per test."""
    root = tmp_path / "site"
    root.mkdir()
    module = f"dk_fake_backend_{tmp_path.name.replace('-', '_')}"
    (root / f"{module}.py").write_text(BACKEND_SOURCE)
    monkeypatch.syspath_prepend(str(root))
    registry.clear_cache()
    yield Site(root, module)
    registry.clear_cache()
    sys.modules.pop(module, None)


def test_entry_point_of_a_separately_installed_distribution_is_found(site: Site) -> None:
    _distribution(site.root, "dicomkit-fake", {"fake": f"{site.module}:FakeTransport"})
    assert "fake" in registry.available()
    assert site.module not in sys.modules  # listed, not imported
    cls = registry.get("fake")
    assert cls.__name__ == "FakeTransport"
    built, owned = registry.resolve_transport("fake", asynchronous=False, verify=False)
    assert owned is True
    assert built.send(Request("GET", "http://x/")).status == 299
    assert built.options == {"verify": False}


def test_only_the_requested_backend_is_imported(site: Site) -> None:
    _distribution(
        site.root,
        "dicomkit-two",
        {"fine": f"{site.module}:FakeTransport", "broken": "dk_no_such_module_anywhere:X"},
    )
    assert registry.get("fine").__name__ == "FakeTransport"
    assert "dk_no_such_module_anywhere" not in sys.modules
    with pytest.raises(TransportNotFoundError, match="broken") as caught:
        registry.get("broken")
    assert isinstance(caught.value.__cause__, ImportError)


def test_entry_points_are_cached_until_cleared(site: Site) -> None:
    before = registry.available()
    _distribution(site.root, "dicomkit-late", {"late": f"{site.module}:FakeTransport"})
    assert registry.available() == before
    registry.clear_cache()
    assert "late" in registry.available()


def test_builtin_distribution_wins_a_clash(site: Site) -> None:
    _distribution(site.root, "aaa-shadow", {"urllib3": f"{site.module}:FakeTransport"})
    with pytest.warns(registry.TransportNameClashWarning, match="aaa-shadow"):
        assert registry.get("urllib3") is Urllib3Transport


def test_between_third_parties_the_first_distribution_name_wins(site: Site) -> None:
    _distribution(site.root, "zeta-backend", {"clash": f"{site.module}:FakeAsyncTransport"})
    _distribution(site.root, "alpha-backend", {"clash": f"{site.module}:FakeTransport"})
    with pytest.warns(registry.TransportNameClashWarning, match="alpha-backend"):
        assert registry.get("clash").__name__ == "FakeTransport"


def test_a_class_always_beats_the_clash_rule(site: Site) -> None:
    _distribution(site.root, "aaa-shadow", {"urllib3": f"{site.module}:FakeTransport"})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        built, owned = registry.resolve_transport(Urllib3Transport, asynchronous=False)
    assert isinstance(built, Urllib3Transport)
    assert owned is True
    built.close()


def test_unknown_name_lists_installed_and_hints_for_known_plugins(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = metadata.entry_points

    def without_plugins(**kwargs: str) -> list[metadata.EntryPoint]:
        return [ep for ep in real(**kwargs) if ep.name not in ("aiohttp", "httpx")]

    monkeypatch.setattr(registry.metadata, "entry_points", without_plugins)
    registry.clear_cache()
    try:
        with pytest.raises(TransportNotFoundError) as caught:
            registry.get("aiohttp")
        assert "pip install dicomkit-aiohttp" in str(caught.value)
        assert "requests" in str(caught.value)
        assert "urllib3" in str(caught.value)
        with pytest.raises(TransportNotFoundError, match="pip install dicomkit-httpx"):
            registry.resolve_transport("httpx", asynchronous=True)
        with pytest.raises(TransportNotFoundError, match="no async transport"):
            registry.resolve_transport(None, asynchronous=True)
        with pytest.raises(LookupError, match=r"installed: .*requests"):
            registry.get("no-such-backend")
    finally:
        registry.clear_cache()


def test_builtins_are_registered_through_entry_points() -> None:
    registry.clear_cache()
    assert {"requests", "urllib3"} <= set(registry.available())
    assert registry.get("requests") is RequestsTransport
    assert registry.get("urllib3") is Urllib3Transport
    built, owned = registry.resolve_transport(None, asynchronous=False)
    assert isinstance(built, RequestsTransport)
    assert owned
    built.close()


class TestRequestsRegistry(RegistryContract):
    registration = Registration("dicomkit", "requests", RequestsTransport)


class TestUrllib3Registry(RegistryContract):
    registration = Registration("dicomkit", "urllib3", Urllib3Transport)


class _Async(AsyncTransport):
    async def asend(self, request: Request) -> Response:
        return Response(200)

    async def aclose(self) -> None:
        return None


class _Incomplete(Transport):
    def close(self) -> None:
        return None


def test_sync_backend_is_refused_for_async_use_and_the_reverse() -> None:
    with pytest.raises(InvalidArgumentError, match="async"):
        registry.resolve_transport("urllib3", asynchronous=True)
    with pytest.raises(InvalidArgumentError, match="sync"):
        registry.resolve_transport(_Async, asynchronous=False)
    with Urllib3Transport() as instance, pytest.raises(InvalidArgumentError):
        registry.resolve_transport(instance, asynchronous=True)


def test_incomplete_backend_fails_when_built() -> None:
    with pytest.raises(InvalidArgumentError, match="send"):
        registry.resolve_transport(_Incomplete, asynchronous=False)
    with pytest.raises(TypeError):
        _Incomplete()  # type: ignore[abstract]


def test_caller_instance_is_not_owned_and_takes_no_options() -> None:
    with Urllib3Transport() as instance:
        assert registry.resolve_transport(instance, asynchronous=False) == (instance, False)
        with pytest.raises(InvalidArgumentError, match="verify"):
            registry.resolve_transport(instance, asynchronous=False, verify=False)
    with pytest.raises(InvalidArgumentError, match="int"):
        registry.resolve_transport(42, asynchronous=False)  # type: ignore[arg-type]


def test_importing_transports_reads_no_entry_points_and_no_http_library() -> None:
    script = textwrap.dedent(
        """
        import importlib.metadata as md, sys
        calls = []
        real = md.entry_points
        md.entry_points = lambda *a, **k: calls.append(k) or real(*a, **k)
        import dicomkit.transports, dicomkit.transports._requests, dicomkit.transports._urllib3
        assert calls == [], calls
        assert "requests" not in sys.modules and "urllib3" not in sys.modules
        dicomkit.transports.available()
        assert len(calls) == 1
        dicomkit.transports.get("urllib3"); dicomkit.transports.available()
        assert len(calls) == 1
        assert "requests" not in sys.modules
        print("ok")
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_missing_library_names_what_to_install() -> None:
    script = textwrap.dedent(
        """
        import sys
        sys.modules["requests"] = None
        from dicomkit.core.errors import TransportNotFoundError
        from dicomkit.transports._requests import RequestsTransport
        try:
            RequestsTransport()
        except TransportNotFoundError as exc:
            print(exc)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "pip install requests" in done.stdout


def test_bad_options_are_refused_before_anything_opens() -> None:
    for backend in (RequestsTransport, Urllib3Transport):
        with pytest.raises(InvalidArgumentError):
            backend(max_redirects=-1)
        with pytest.raises(InvalidArgumentError):
            backend(verify=3)  # type: ignore[arg-type]
        with pytest.raises(InvalidArgumentError):
            backend(pool_maxsize=0)
        with pytest.raises(TypeError, match="'pool_size'"):
            backend(pool_size=3)  # type: ignore[call-arg]
