"""Run a private Orthanc (with its DICOMweb plugin) for tests against a server no one here wrote.

Orthanc 1.10 always listens on 0.0.0.0, so :class:`OrthancServer` refuses to start unless the
process sits in a network namespace whose only live interface is loopback (``unshare --net``),
which keeps the promise that every server our tests start is reachable from 127.0.0.1 only.
Readiness is proven three ways because an old server on the same port fools a plain HTTP
check: our child process is alive, *its* log says "Orthanc has started", and ``GET /system``
answers with the unique name written into *our* configuration.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dicomkit.core.errors import DicomkitError
from dicomkit.core.interface import Closing

__all__ = [
    "ALLOW_PUBLIC_ENV",
    "DICOMWEB_PLUGIN",
    "DICOMWEB_ROOT",
    "ORTHANC_BINARY",
    "OrthancError",
    "OrthancServer",
    "in_private_network",
    "namespace_refusal",
    "orthanc_available",
    "orthanc_missing_reason",
    "public_interfaces",
]

ORTHANC_BINARY = "/usr/sbin/Orthanc"
DICOMWEB_PLUGIN = "/usr/share/orthanc/plugins/libOrthancDicomWeb.so"
ALLOW_PUBLIC_ENV = "DICOMKIT_ORTHANC_ALLOW_PUBLIC"
STARTED_LINE = "Orthanc has started"
DICOMWEB_ROOT = "/dicom-web"
"""Where Orthanc's DICOMweb plugin is configured to answer, below :attr:`OrthancServer.base_url`."""

_IFF_UP = 0x1
_IFF_LOOPBACK = 0x8
_SIOCGIFFLAGS = 0x8913
_INSTALL_HINT = (
    "install the Debian packages: apt-get install -y --no-install-recommends "
    "orthanc orthanc-dicomweb"
)
_NAMESPACE_HINT = (
    "run the tests in a private network namespace with only loopback up, e.g. "
    "`unshare --net sh -c 'ip link set lo up && exec python -m pytest tests/orthanc'` as root, "
    f"or `nox -s tests` as root; set {ALLOW_PUBLIC_ENV}=1 to accept Orthanc listening on every "
    "interface"
)


class OrthancError(DicomkitError, RuntimeError):
    """Orthanc could not be started, did not become ready, or refused a test-support request."""


def orthanc_missing_reason(
    binary: str = ORTHANC_BINARY, plugin: str = DICOMWEB_PLUGIN
) -> str | None:
    """Why Orthanc cannot run here (``None`` when the binary and the DICOMweb plugin exist)."""
    if not os.access(binary, os.X_OK):
        return f"Orthanc is not installed ({binary} missing); {_INSTALL_HINT}"
    if not os.path.isfile(plugin):
        return f"the Orthanc DICOMweb plugin is not installed ({plugin} missing); {_INSTALL_HINT}"
    return None


def orthanc_available(binary: str = ORTHANC_BINARY, plugin: str = DICOMWEB_PLUGIN) -> bool:
    """True when the Orthanc binary and its DICOMweb plugin are installed."""
    return orthanc_missing_reason(binary, plugin) is None


def _interface_flags(sock: socket.socket, name: str) -> int | None:
    """The interface's flags via SIOCGIFFLAGS (``None`` when the kernel will not say)."""
    request = struct.pack("16sH14x", name.encode()[:15], 0)
    try:
        answer = fcntl.ioctl(sock.fileno(), _SIOCGIFFLAGS, request)
    except OSError:
        return None
    flags: int = struct.unpack("16sH14x", answer)[1]
    return flags


def public_interfaces() -> list[str]:
    """Names of this network namespace's interfaces that are up and are not loopback.

    Asks the kernel through a socket, not ``/sys/class/net``: after ``unshare --net`` that
    folder still describes the namespace it was mounted in.
    """
    found = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for _, name in socket.if_nameindex():
            flags = _interface_flags(sock, name)
            if flags is None:
                if name != "lo":
                    found.append(name)
            elif flags & _IFF_UP and not flags & _IFF_LOOPBACK:
                found.append(name)
    return sorted(found)


def in_private_network() -> bool:
    """True when only loopback is up, so a server bound to 0.0.0.0 is reachable from here only."""
    return not public_interfaces()


def namespace_refusal() -> str | None:
    """Why Orthanc must not start in this network namespace (``None`` when it may)."""
    if os.environ.get(ALLOW_PUBLIC_ENV) == "1":
        return None
    public = public_interfaces()
    if not public:
        return None
    return (
        "refusing to start Orthanc: it listens on 0.0.0.0 and network interfaces "
        f"{', '.join(public)} are up; {_NAMESPACE_HINT}"
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class OrthancServer(Closing):
    """An Orthanc process with the DICOMweb plugin, configured and owned by one test session.

    Use as a context manager: ``with OrthancServer(tmp_path) as orthanc: orthanc.url``.
    Storage, index, configuration and log all live inside ``workdir`` (a temporary folder,
    removed on stop, when it is ``None``). ``name`` is what ``GET /system`` must answer before
    the server counts as ours; keep the random default unless a test fakes Orthanc.
    """

    def __init__(
        self,
        workdir: str | os.PathLike[str] | None = None,
        *,
        users: Mapping[str, str] | None = None,
        port: int | None = None,
        binary: str = ORTHANC_BINARY,
        plugin: str = DICOMWEB_PLUGIN,
        startup_timeout: float = 30.0,
        stop_timeout: float = 10.0,
        name: str | None = None,
    ) -> None:
        self._owns_workdir = workdir is None
        self.workdir = Path(tempfile.mkdtemp(prefix="orthanc-") if workdir is None else workdir)
        self.users: dict[str, str] | None = dict(users) if users is not None else None
        self._requested_port = port
        self.port = port or 0
        self.binary = binary
        self.plugin = plugin
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        self.name = name or f"dicomkit-{secrets.token_hex(6)}"
        self.config_path = self.workdir / "orthanc.json"
        self.log_path = self.workdir / "orthanc.log"
        self._process: subprocess.Popen[bytes] | None = None
        self._terminating = False

    @property
    def base_url(self) -> str:
        """Orthanc's REST root, e.g. ``http://127.0.0.1:8042``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """The DICOMweb root, e.g. ``http://127.0.0.1:8042/dicom-web``."""
        return self.base_url + DICOMWEB_ROOT

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def config(self) -> dict[str, Any]:
        """The JSON configuration Orthanc is started with."""
        auth = self.users is not None
        return {
            "Name": self.name,
            "StorageDirectory": str(self.workdir / "storage"),
            "IndexDirectory": str(self.workdir / "index"),
            "HttpPort": self.port,
            "DicomServerEnabled": False,
            "RemoteAccessAllowed": False,
            "AuthenticationEnabled": auth,
            "RegisteredUsers": dict(self.users or {}),
            "Plugins": [self.plugin],
            "DicomWeb": {
                "Enable": True,
                "Root": DICOMWEB_ROOT + "/",
                "EnableWado": False,
                "Host": f"127.0.0.1:{self.port}",
                "Ssl": False,
            },
        }

    def start(self) -> OrthancServer:
        """Start Orthanc and wait until it is ready; retry on a new port if one was taken."""
        if self.running:
            return self
        reason = orthanc_missing_reason(self.binary, self.plugin) or namespace_refusal()
        if reason is not None:
            raise OrthancError(reason)
        attempts = 1 if self._requested_port else 3
        for attempt in range(attempts):
            self.port = self._requested_port or _free_port()
            try:
                self._launch()
                self._wait_ready()
                return self
            except OrthancError:
                exited = self._process is not None and self._process.poll() is not None
                self.stop()
                if not exited or attempt == attempts - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _launch(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(json.dumps(self.config(), indent=2))
        with open(self.log_path, "wb") as log:
            self._process = subprocess.Popen(
                [self.binary, str(self.config_path)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.workdir,
            )

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        delay = 0.01
        while True:
            problem = self._readiness_problem()
            if problem is None:
                return
            if not self.running or time.monotonic() > deadline:
                raise OrthancError(f"Orthanc did not become ready: {problem}\n{self.log_tail()}")
            time.sleep(delay)
            delay = min(delay * 2, 0.2)

    def _readiness_problem(self) -> str | None:
        process = self._process
        if process is None or process.poll() is not None:
            code = None if process is None else process.returncode
            return f"the Orthanc process exited (status {code})"
        if STARTED_LINE not in self.log_text():
            return f"its log {self.log_path} does not say {STARTED_LINE!r} yet"
        try:
            status, _, body = self.request("GET", "/system", timeout=2.0)
        except OSError as exc:
            return f"GET /system failed: {exc}"
        if status != 200:
            return f"GET /system answered {status}"
        try:
            name = json.loads(body).get("Name")
        except (ValueError, AttributeError):
            name = None
        if name != self.name:
            return f"port {self.port} is answered by another server (Name {name!r})"
        return None

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = 20) -> str:
        tail = self.log_text().splitlines()[-lines:]
        return f"--- last {len(tail)} lines of {self.log_path} ---\n" + "\n".join(tail)

    def terminate(self) -> None:
        """Send SIGTERM without waiting: Orthanc needs about 2.5 s to exit, so callers that stop
        several servers signal them all first, then :meth:`stop` each."""
        process = self._process
        if process is not None and process.poll() is None and not self._terminating:
            process.send_signal(signal.SIGTERM)
            self._terminating = True

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after ``stop_timeout`` seconds; a no-op when not running."""
        self.terminate()
        process, self._process = self._process, None
        self._terminating = False
        if process is not None:
            try:
                process.wait(self.stop_timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._owns_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def auth_header(self) -> dict[str, str]:
        """An ``Authorization`` header for the first registered user (empty without users)."""
        if not self.users:
            return {}
        user, password = next(iter(self.users.items()))
        token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        return {"Authorization": f"Basic {token}"}

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        *,
        timeout: float = 30.0,
    ) -> tuple[int, dict[str, str], bytes]:
        """One request to Orthanc's REST API as the first user; returns status, headers, body."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers={**self.auth_header(), **(headers or {})})
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            conn.close()

    def _json(self, method: str, path: str) -> Any:
        status, _, body = self.request(method, path)
        if status != 200:
            raise OrthancError(f"{method} {path} answered {status}: {body[:200]!r}")
        return json.loads(body) if body else None

    def reset(self) -> None:
        """Delete every study (and with them patients, series, instances) through the REST API."""
        for study_id in self._json("GET", "/studies"):
            self._json("DELETE", f"/studies/{study_id}")

    def close(self) -> None:
        """The same as :meth:`stop`: what ``with`` calls on the way out."""
        self.stop()

    def __enter__(self) -> OrthancServer:
        return self.start()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            if self._process is not None and self._process.poll() is None:
                self._process.kill()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<OrthancServer {self.base_url} {state} pid={self.pid}>"
