"""``import dicomkit; DicomClient(url)`` loads only what building a client needs (issue 11.3).

The HTTP library, the entry points, the exchanges and their answer readers, auth, STOW-RS,
files, UPS and Azure load with the first call that uses them. Each check runs in a fresh
interpreter, and each also names a module that must be loaded, so that it can fail.
"""

from __future__ import annotations

import json
import textwrap

from tests._support.python import run_python

URL = "http://127.0.0.1:9/dicom-web"

LAZY = [
    # the transport's library and what only it needs
    "requests",
    "urllib3",
    "charset_normalizer",
    "idna",
    "certifi",
    "ssl",
    "http.client",
    "http.cookiejar",
    "urllib.request",
    "importlib.metadata",
    # standard modules nothing on this path needs
    "email.utils",
    "json",
    "logging",
    "asyncio",
    "concurrent.futures",
    "sqlite3",
    "tempfile",
    "random",  # retry jitter imports it at the first retry
    "encodings.idna",  # an ASCII host is checked without the codec
    "uuid",
    "xml.etree.ElementTree",
    # DICOM data sets
    "pydicom",
    "numpy",
    # dicomkit's own modules for later calls
    "dicomkit._logging",
    "dicomkit.auth",
    "dicomkit.core.multipart",
    "dicomkit.core.stow",
    "dicomkit.core.dicomjson",
    "dicomkit.core.dicomxml",
    "dicomkit.core.held",
    "dicomkit.core.operations.exchange",
    "dicomkit.core.operations.factory",
    "dicomkit.core.operations.azure",
    "dicomkit.core.operations.ups",
    "dicomkit.files.folder",
    "dicomkit.files.part10",
    "dicomkit.files.download",
    "dicomkit.client._sync_workitems",
    "dicomkit.client._azure_sync",
    "dicomkit.jobs",
    "dicomkit.transports._heads",
]
LOADED = [
    "dicomkit.client.sync",
    "dicomkit.core.operations.builder",
    "dicomkit.core.urls",
    "dicomkit.transports._requests",
]


def _modules_after(code: str, *extra: str) -> dict[str, bool]:
    """Which of LAZY, LOADED and ``extra`` are imported once ``code`` ran in a new process."""
    watched = [*LAZY, *LOADED, *extra]
    report = f"import sys\nfound = {{m: m in sys.modules for m in {watched!r}}}\n"
    script = f"{code}\n{report}import json\nprint(json.dumps(found))"
    result = run_python("-c", script)
    assert result.returncode == 0, result.stderr
    found: dict[str, bool] = json.loads(result.stdout.splitlines()[-1])
    return found


def test_building_the_client_loads_none_of_the_lazy_modules() -> None:
    found = _modules_after(f"import dicomkit\nclient = dicomkit.DicomClient({URL!r})")
    assert [name for name in LAZY if found[name]] == []
    assert all(found[name] for name in LOADED)


def test_a_client_with_every_common_option_still_loads_no_library() -> None:
    code = textwrap.dedent(
        f"""
        import dicomkit
        client = dicomkit.DicomClient(
            {URL!r}, retry=5, timeout=30, headers={{"X-A": "b"}}, dialect="orthanc",
            max_json_bytes=1 << 20, transport_options={{"pool_maxsize": 4}},
        )
        """
    )
    found = _modules_after(code)
    assert [name for name in LAZY if found[name] and name != "dicomkit.auth"] == []


def test_auth_loads_only_when_given() -> None:
    found = _modules_after(
        f"import dicomkit\nclient = dicomkit.DicomClient({URL!r}, auth='token')",
        "dicomkit.auth._base",
    )
    assert found["dicomkit.auth._base"]
    assert not found["requests"]


def test_the_first_request_loads_the_library_and_gets_its_answer() -> None:
    """The library is imported by the first request (which pays for it), and that request
    works: a QIDO-RS search against a local server answering ``[]``."""
    code = textwrap.dedent(
        """
        import http.server, sys, threading
        import dicomkit

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "application/dicom+json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"[]")

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        for name in ("requests", "urllib3", "http.cookiejar"):
            sys.modules.pop(name, None)  # http.server brought http.client; not these
        url = f"http://127.0.0.1:{server.server_address[1]}/dicom-web"
        for transport in ("urllib3", "requests"):  # requests would load urllib3
            with dicomkit.DicomClient(url, transport=transport) as client:
                assert transport not in sys.modules, transport
                assert client.search_for_studies() == []
                assert transport in sys.modules, transport
        server.shutdown()
        """
    )
    found = _modules_after(code)
    assert found["dicomkit.core.operations.exchange"]


def test_workitems_and_azure_are_made_once_on_first_use() -> None:
    code = textwrap.dedent(
        f"""
        import sys
        import dicomkit
        client = dicomkit.DicomClient({URL!r})
        assert "dicomkit.client._sync_workitems" not in sys.modules
        assert client.workitems is client.workitems
        assert client.azure is client.azure
        """
    )
    found = _modules_after(code)
    assert found["dicomkit.client._sync_workitems"]
    assert found["dicomkit.client._azure_sync"]


def test_a_missing_library_still_fails_when_the_client_is_built() -> None:
    code = textwrap.dedent(
        f"""
        import sys
        sys.modules["requests"] = None
        import dicomkit
        try:
            dicomkit.DicomClient({URL!r})
        except dicomkit.TransportNotFoundError as exc:
            print("refused:", exc)
        """
    )
    result = run_python("-c", code)
    assert result.returncode == 0, result.stderr
    assert "refused:" in result.stdout
    assert "pip install requests" in result.stdout
