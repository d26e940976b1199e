"""The shared options: URL and profile resolution, credentials, and the exit statuses of bad
input and refused credentials (real processes where a server is involved)."""

from __future__ import annotations

import argparse
import json
import sys
import types
from pathlib import Path
from typing import Any

import pytest
from dicomkit_server import ReferenceServer

from dicomkit.auth import AzureCredential, BasicAuth, OAuth2ClientCredentials
from dicomkit.cli import ExitStatus, UsageError, open_client
from dicomkit.cli._connect import auth_from_args
from dicomkit.cli._exit import exit_status_for
from dicomkit.cli._globals import fill_defaults
from dicomkit.cli._profiles import Profile, config_file, load_profile
from dicomkit.core import errors

from .conftest import Dicomkit, lines, ok


def _args(**given: object) -> argparse.Namespace:
    args = argparse.Namespace(**given)
    fill_defaults(args)
    return args


def _config(path: Path, text: str) -> dict[str, str]:
    path.write_text(text)
    return {"DICOMKIT_CONFIG": str(path)}


def test_config_file_follows_the_platform_conventions(tmp_path: Path) -> None:
    assert config_file({"DICOMKIT_CONFIG": "~/x.toml"}) == Path("~/x.toml").expanduser()
    assert config_file({"XDG_CONFIG_HOME": str(tmp_path)}) == tmp_path / "dicomkit/config.toml"


def test_a_profile_is_read_and_checked(tmp_path: Path) -> None:
    env = _config(
        tmp_path / "c.toml",
        '[profiles.pacs]\nurl = "https://pacs.example/dicom-web"\nauth = "basic"\n'
        'user = "alice"\npassword_env = "PACS_PASSWORD"\nread_timeout = 5\n'
        '[profiles.bad]\nurl = 3\n[profiles.odd]\nsecret = "x"\n',
    )
    assert load_profile("pacs", env) == Profile(
        url="https://pacs.example/dicom-web",
        auth="basic",
        user="alice",
        password_env="PACS_PASSWORD",
        read_timeout=5,
    )
    with pytest.raises(UsageError, match="url must be a str"):
        load_profile("bad", env)
    with pytest.raises(UsageError, match="unknown key"):
        load_profile("odd", env)
    with pytest.raises(UsageError, match=r"no profile 'nope' .*\(profiles: bad, odd, pacs\)"):
        load_profile("nope", env)
    (tmp_path / "broken.toml").write_text("[profiles\n")
    with pytest.raises(UsageError, match="not valid TOML"):
        load_profile("x", {"DICOMKIT_CONFIG": str(tmp_path / "broken.toml")})
    with pytest.raises(UsageError, match="no config file"):
        load_profile("x", {"DICOMKIT_CONFIG": str(tmp_path / "missing.toml")})


def test_credentials_come_from_options_then_environment_then_profile() -> None:
    profile = Profile(auth="basic", user="alice", password_env="PW")
    basic = auth_from_args(_args(), profile, {"PW": "s3cret"})
    assert isinstance(basic, BasicAuth)
    assert basic.username == "alice"
    assert auth_from_args(_args(token="tok"), profile, {}) == "tok"  # the option wins
    assert auth_from_args(_args(), Profile(), {"DICOMWEB_TOKEN": "env"}) == "env"
    assert auth_from_args(_args(), Profile(), {}) is None
    with pytest.raises(UsageError, match="not --token, --basic"):
        auth_from_args(_args(token="t", basic="bob"), Profile(), {})
    with pytest.raises(UsageError, match="set DICOMWEB_PASSWORD"):
        auth_from_args(_args(basic="bob"), Profile(), {})  # no terminal to prompt on
    legacy = (
        "{'authority': 'https://login.example/tenant', 'client_id': 'app',"
        " 'client_secret': 'shh', 'oauth_resource': 'https://dicom.example'}"
    )
    oauth = auth_from_args(_args(oauth2_env="MY_AUTH"), Profile(), {"MY_AUTH": legacy})
    assert isinstance(oauth, OAuth2ClientCredentials)
    assert oauth.token_url == "https://login.example/tenant/oauth2/v2.0/token"
    with pytest.raises(errors.AuthError, match="MY_AUTH is not set"):
        auth_from_args(_args(oauth2_env="MY_AUTH"), Profile(), {})


def test_open_client_needs_a_url_and_honours_the_profile(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no server"):
        open_client(_args(), {})
    env = _config(
        tmp_path / "c.toml",
        '[profiles.local]\nurl = "http://127.0.0.1:9/dicom-web"\ntransport = "urllib3"\n'
        "connect_timeout = 2\n",
    )
    with open_client(_args(profile="local"), env) as client:
        assert client.base_url == "http://127.0.0.1:9/dicom-web"
        assert type(client.transport).__name__ == "Urllib3Transport"
    env["DICOMKIT_PROFILE"] = "local"
    with open_client(_args(url="http://127.0.0.1:10"), env) as client:
        assert client.base_url == "http://127.0.0.1:10"  # the option beats the profile


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (errors.UnauthorizedError(401), ExitStatus.AUTH),
        (errors.ForbiddenError(403), ExitStatus.AUTH),
        (errors.AuthError("no token"), ExitStatus.AUTH),
        (errors.InvalidUIDError("bad"), ExitStatus.USAGE),
        (errors.TransportNotFoundError("nope"), ExitStatus.USAGE),
        (errors.NotDicomWebError("GET", "http://h/studies", "text/html", expected="JSON"), 2),
        (UsageError("bad"), ExitStatus.USAGE),
        (FileNotFoundError(2, "missing"), ExitStatus.USAGE),
        (OSError(28, "No space left on device"), ExitStatus.PARTIAL),
        (errors.NotFoundError(404), ExitStatus.SERVER),
        (errors.ServiceUnavailableError(503), ExitStatus.SERVER),
        (errors.ConnectError("refused"), ExitStatus.SERVER),
        (errors.ReadTimeout("slow"), ExitStatus.SERVER),
        (errors.MultipartError("cut"), ExitStatus.SERVER),
        (KeyboardInterrupt(), ExitStatus.INTERRUPTED),
    ],
)
def test_every_error_has_its_exit_status(error: BaseException, status: ExitStatus) -> None:
    assert exit_status_for(error) == status


def test_a_programming_error_keeps_its_traceback() -> None:
    with pytest.raises(TypeError):
        exit_status_for(TypeError("a bug"))


@pytest.fixture
def locked_server(tmp_path: Path):  # type: ignore[no-untyped-def]
    with ReferenceServer(tmp_path / "locked", auth={"alice": "right"}) as url:
        yield str(url)


def test_rejected_and_accepted_credentials(
    dk: Dicomkit, locked_server: str, tmp_path: Path
) -> None:
    denied = dk("search", "studies", "--url", locked_server)
    assert denied.returncode == ExitStatus.AUTH
    assert "401" in denied.stderr
    wrong = dk(
        "search",
        "studies",
        "--url",
        locked_server,
        "--basic",
        "alice",
        env={"DICOMWEB_PASSWORD": "wrong"},
    )
    assert wrong.returncode == ExitStatus.AUTH
    assert "wrong" not in wrong.stderr  # the password is never echoed
    right = dk(
        "search",
        "studies",
        "--url",
        locked_server,
        "--basic",
        "alice",
        "--json",
        env={"DICOMWEB_PASSWORD": "right"},
    )
    assert json.loads(ok(right)) == []
    # a profile carries the user and the variable that holds the password, not the password
    Path(dk.env["DICOMKIT_CONFIG"]).write_text(
        f'[profiles.lab]\nurl = "{locked_server}"\nauth = "basic"\nuser = "alice"\n'
        'password_env = "LAB_PW"\n'
    )
    assert ok(dk("--profile", "lab", "search", "studies", "--json", env={"LAB_PW": "right"}))
    no_password = dk("--profile", "lab", "search", "studies")
    assert no_password.returncode == ExitStatus.USAGE
    assert "set LAB_PW" in no_password.stderr


def test_an_upload_with_rejected_credentials_keeps_its_journal(
    dk: Dicomkit, locked_server: str, tmp_path: Path
) -> None:
    from dicomkit.testing.data import make_study, write_instances

    write_instances(tmp_path / "src", make_study(3))
    result = dk(
        "upload",
        str(tmp_path / "src"),
        "--url",
        locked_server,
        "--basic",
        "alice",
        env={"DICOMWEB_PASSWORD": "wrong"},
    )
    assert result.returncode == ExitStatus.AUTH, result.stderr
    assert "--basic alice jobs resume" in result.stderr  # the resume command, without secret
    assert "wrong" not in result.stderr
    (journal,) = dk.jobs()
    resumed = dk(
        "jobs",
        "resume",
        str(journal),
        "--url",
        locked_server,
        "--basic",
        "alice",
        "--json",
        env={"DICOMWEB_PASSWORD": "right"},
    )
    assert json.loads(ok(resumed))["counts"] == {"stored": 3}


def test_bad_input_is_a_usage_error_that_loses_nothing(dk: Dicomkit, tmp_path: Path) -> None:
    from dicomkit.testing.data import make_study, write_instances

    unused = "http://127.0.0.1:9"
    missing = dk("upload", str(tmp_path / "nope"), "--url", unused)
    assert missing.returncode == ExitStatus.USAGE
    assert "nope" in missing.stderr
    assert dk.jobs() == []  # nothing journaled for input that was refused
    (path,) = write_instances(tmp_path / "one", make_study(1))
    path.chmod(0)
    unreadable = dk("upload", str(path), "--url", unused)
    if unreadable.returncode != ExitStatus.USAGE:  # root reads anything: then it is a net error
        assert unreadable.returncode == ExitStatus.SERVER
    path.chmod(0o644)
    no_url = dk("upload", str(path))
    assert no_url.returncode == ExitStatus.USAGE
    assert "DICOMWEB_URL" in no_url.stderr
    for argv in (
        ["download", "--out", str(tmp_path / "o"), "--url", unused],
        ["download", "1.2.3", "--where", "PatientID=1", "--out", str(tmp_path), "--url", unused],
        [
            "download",
            "--from-file",
            str(tmp_path / "none.txt"),
            "--out",
            str(tmp_path),
            "--url",
            unused,
        ],
        ["download", "1.2.3", "--out", str(path), "--url", unused],
        ["jobs", "show", "no-such-job"],
        ["search", "studies", "--url", unused, "--transport", "carrier-pigeon"],
        ["search", "studies", "--url", "not a url"],
    ):
        result = dk(*argv)
        assert result.returncode == ExitStatus.USAGE, (argv, result.stderr)
        assert "Traceback" not in result.stderr


def test_an_unreachable_server_is_a_network_failure_with_a_resume_hint(
    dk: Dicomkit, tmp_path: Path
) -> None:
    from dicomkit.testing.data import make_study, write_instances

    write_instances(tmp_path / "src", make_study(2))
    result = dk("upload", str(tmp_path / "src"), "--url", "http://127.0.0.1:9", "--timeout", "2")
    assert result.returncode == ExitStatus.SERVER
    assert "dicomkit --url http://127.0.0.1:9 jobs resume" in result.stderr
    (journal,) = dk.jobs()
    shown = json.loads(ok(dk("jobs", "show", journal.stem, "--json")))
    assert shown["counts"] == {"pending": 2}
    failed_json = dk("upload", str(tmp_path / "src"), "--url", "http://127.0.0.1:9", "--json")
    error = json.loads(lines(failed_json.stderr)[-1])
    assert error["exit_status"] == ExitStatus.SERVER
    assert error["resume"].endswith("jobs resume " + error["journal"])


def test_a_url_that_is_no_dicomweb_root_is_a_usage_error_naming_the_root(
    dk: Dicomkit, orthanc: Any
) -> None:
    from dicomkit import DicomClient
    from dicomkit.testing.data import make_instance

    with DicomClient(orthanc.url) as client:  # an empty list would look like DICOM JSON
        client.store_instances([make_instance()])
    result = dk("search", "studies", "--url", orthanc.base_url)  # Orthanc's REST root
    assert result.returncode == ExitStatus.USAGE, result.stderr
    assert f"{orthanc.base_url}/dicom-web" in result.stderr
    assert "Traceback" not in result.stderr


def test_cloud_credentials_need_their_library(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "azure.identity", None)  # import fails as if missing
    with pytest.raises(UsageError, match="pip install azure-identity"):
        auth_from_args(_args(azure=True), Profile(), {})
    monkeypatch.setitem(sys.modules, "google.auth", None)
    monkeypatch.setitem(sys.modules, "google", None)
    with pytest.raises(UsageError, match=r"pip install 'dicomkit\[google\]'"):
        auth_from_args(_args(google=True), Profile(), {})


def test_azure_uses_the_default_credential(monkeypatch: pytest.MonkeyPatch) -> None:
    class DefaultAzureCredential:
        def get_token(self, *scopes: str) -> Any:
            raise AssertionError("not called while building")

    fake = types.ModuleType("azure.identity")
    fake.DefaultAzureCredential = DefaultAzureCredential  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "azure.identity", fake)
    auth = auth_from_args(_args(azure=True), Profile(), {})
    assert isinstance(auth, AzureCredential)
    assert auth.scopes == ("https://dicom.healthcareapis.azure.com/.default",)


def test_a_disk_failure_of_a_job_is_a_local_failure() -> None:
    from dicomkit.jobs._files import DiskError

    assert exit_status_for(DiskError("the disk is full")) == ExitStatus.PARTIAL
    assert exit_status_for(errors.DicomkitError("journal unwritable")) == ExitStatus.PARTIAL
    assert exit_status_for(errors.ConnectionLostError("cut")) == ExitStatus.SERVER
