"""From the shared options (and a profile, and the environment) to a ready DicomClient.

Precedence, highest first: the command line, the environment (``DICOMWEB_URL``,
``DICOMWEB_TOKEN``), the profile. Secrets never come from argv except ``--token`` (which the
user chose to type); a basic-auth password comes from a variable or a prompt.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from dicomkit.cli._exit import UsageError
from dicomkit.cli._globals import ENV_PASSWORD, ENV_PROFILE, ENV_TOKEN, ENV_URL, fill_defaults
from dicomkit.cli._profiles import Profile, load_profile
from dicomkit.core.errors import AuthError

if TYPE_CHECKING:
    from dicomkit.client import DicomClient

__all__ = [
    "CA_BUNDLE_VARIABLES",
    "DEFAULT_TRANSPORT",
    "auth_from_args",
    "network_options",
    "open_client",
    "profile_from_args",
    "server_url",
]


def profile_from_args(
    args: argparse.Namespace, environ: Mapping[str, str] | None = None
) -> Profile:
    """The profile named by ``--profile`` or ``$DICOMKIT_PROFILE``, or an empty one."""
    env = os.environ if environ is None else environ
    name = getattr(args, "profile", None) or env.get(ENV_PROFILE)
    return load_profile(name, env) if name else Profile()


def _auth_choice(args: argparse.Namespace, profile: Profile) -> str:
    chosen = [
        flag
        for flag, given in (
            ("token", args.token),
            ("basic", args.basic),
            ("oauth2", args.oauth2_env),
            ("azure", args.azure),
            ("google", args.google),
        )
        if given
    ]
    if len(chosen) > 1:
        flags = {"token": "--token", "basic": "--basic", "oauth2": "--oauth2-env"}
        names = ", ".join(flags.get(kind, f"--{kind}") for kind in chosen)
        raise UsageError(f"choose one way to authenticate, not {names}")
    return chosen[0] if chosen else (profile.auth or "none")


def _password(user: str, variable: str, env: Mapping[str, str]) -> str:
    if env.get(variable):
        return env[variable]
    if sys.stdin is not None and sys.stdin.isatty():
        import getpass

        return getpass.getpass(f"password for {user}: ")
    raise UsageError(
        f"--basic {user} needs a password: set {variable}, or run on a terminal to be asked"
    )


def _azure() -> Any:
    from dicomkit.auth import AzureCredential

    try:
        from azure.identity import DefaultAzureCredential
    except ImportError:
        raise UsageError("--azure needs azure-identity: pip install azure-identity") from None
    return AzureCredential(DefaultAzureCredential())


def _google() -> Any:
    from dicomkit.auth import GOOGLE_HEALTHCARE_SCOPE, GoogleCredentials

    try:
        import google.auth
    except ImportError:
        raise UsageError("--google needs google-auth: pip install 'dicomkit[google]'") from None
    try:
        credentials, _project = google.auth.default(scopes=[GOOGLE_HEALTHCARE_SCOPE])
    except Exception as exc:  # google.auth.exceptions.DefaultCredentialsError and kin
        raise AuthError(f"no Google credentials: {exc}") from exc
    return GoogleCredentials(credentials)


def auth_from_args(
    args: argparse.Namespace, profile: Profile, environ: Mapping[str, str] | None = None
) -> Any:
    """The ``auth=`` value for the client: None, a token, a BasicAuth or a token provider."""
    env = os.environ if environ is None else environ
    kind = _auth_choice(args, profile)
    if kind == "none" and env.get(ENV_TOKEN):
        kind = "token"
    if kind == "token":
        token = args.token or env.get(profile.token_env or ENV_TOKEN) or env.get(ENV_TOKEN)
        if not token:
            variable = profile.token_env or ENV_TOKEN
            raise UsageError(f"the profile asks for a token: set {variable} or pass --token")
        return token
    if kind == "basic":
        from dicomkit.auth import BasicAuth

        user = args.basic or profile.user
        if not user:
            raise UsageError("basic auth needs a user: --basic USER or user = ... in the profile")
        return BasicAuth(user, _password(user, profile.password_env or ENV_PASSWORD, env))
    if kind == "oauth2":
        from dicomkit.auth import OAuth2ClientCredentials

        variable = args.oauth2_env or profile.oauth2_env or "AUTH_CONNECTION_INFO"
        return OAuth2ClientCredentials.from_env(variable, environ=env)
    if kind == "azure":
        return _azure()
    if kind == "google":
        return _google()
    return None


def server_url(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> str | None:
    """The DICOMweb root the options, the environment or the profile name (None: none does)."""
    fill_defaults(args)
    env = os.environ if environ is None else environ
    return args.url or env.get(ENV_URL) or profile_from_args(args, env).url


def open_client(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> DicomClient:
    """The client the shared options describe; third-party commands may use it too."""
    from dicomkit.client import DicomClient
    from dicomkit.core.interface import Timeout

    fill_defaults(args)
    env = os.environ if environ is None else environ
    profile = profile_from_args(args, env)
    url = server_url(args, env)
    if not url:
        raise UsageError(f"no server: pass --url URL, set {ENV_URL}, or choose a --profile")
    read = args.timeout if args.timeout is not None else profile.read_timeout
    timeout = Timeout(
        connect=profile.connect_timeout if profile.connect_timeout is not None else 10.0,
        read=read if read is not None else 60.0,
    )
    return DicomClient(
        url,
        transport=args.transport or profile.transport or DEFAULT_TRANSPORT,
        auth=auth_from_args(args, profile, env),
        timeout=timeout,
        retry=profile.retries,
        dialect=args.dialect or profile.dialect,
        **network_options(args, profile, env),
    )


DEFAULT_TRANSPORT = "stdlib"
"""The command's backend unless ``--transport`` or the profile names one: the standard
library's ``http.client``, the quickest to start (about 40 ms less than urllib3, 80 ms less
than requests, per process: docs/transports.md) and as proven as the others by the shared
contract suite. The library's own default stays requests (``DicomClient(url)``)."""

CA_BUNDLE_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
"""The CA-bundle variables requests reads, in its order. The command reads them itself, so
they hold whatever the transport (only requests would read them otherwise): a user whose
proxy re-signs TLS keeps working when the default transport is not requests."""


def network_options(
    args: argparse.Namespace, profile: Profile, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The client's ``verify``/``cert``/``proxy`` from the options, else the profile, else (the
    CA bundle) :data:`CA_BUNDLE_VARIABLES`; what none sets is left out, so the client's
    defaults (verified TLS, the proxy variables) hold."""
    if args.insecure and args.ca_bundle:
        raise UsageError("--insecure and --ca-bundle contradict each other: pick one")
    if args.no_proxy and args.proxy:
        raise UsageError("--proxy and --no-proxy contradict each other: pick one")
    if args.key and not args.cert:
        raise UsageError("--key needs --cert")
    options: dict[str, Any] = {}
    env = os.environ if environ is None else environ
    from_env = next((env[name] for name in CA_BUNDLE_VARIABLES if env.get(name)), None)
    verify = False if args.insecure else args.ca_bundle or profile.ca_bundle or from_env
    if verify is not None:
        options["verify"] = verify
    cert = args.cert or profile.cert
    if cert:
        key = args.key or profile.key
        options["cert"] = (cert, key) if key else cert
    if args.no_proxy:
        options["proxy"] = None
    elif args.proxy or profile.proxy:
        options["proxy"] = args.proxy or profile.proxy
    return options
