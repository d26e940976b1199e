"""``dicomkit serve``: the reference server from a shell.

Registered in the ``dicomkit.commands`` entry-point group (see docs/cli.md), so ``dicomkit``
offers ``serve`` only when this distribution is installed. Importing this module loads neither
the server nor aiohttp: ``dicomkit --help`` stays fast.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time

__all__ = ["ServeCommand", "serve_command"]


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM stops the server like Ctrl+C, so temporary files are removed."""
    raise KeyboardInterrupt


def _pair(value: str, what: str) -> tuple[str, str]:
    name, sep, secret = value.partition(":")
    if not sep or not name:
        raise ValueError(f"{what} must look like NAME:SECRET")
    return name, secret


def _port(value: str) -> int:
    """argparse type for --port: a bad number is a usage error, not a traceback at bind time."""
    try:
        port = int(value)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{value!r} is not a TCP port (0-65535)")
    return port


def _server_auth(args: argparse.Namespace) -> object:
    """The ``auth`` option of ReferenceServer from --basic-auth / --oauth2-client."""
    if args.basic_auth and args.oauth2_client:
        raise ValueError("choose either --basic-auth or --oauth2-client")
    if args.basic_auth:
        return dict(_pair(value, "--basic-auth") for value in args.basic_auth)
    if args.oauth2_client:
        from dicomkit_server import ServerOAuth2

        clients = dict(_pair(value, "--oauth2-client") for value in args.oauth2_client)
        return ServerOAuth2(clients, token_lifetime=args.token_lifetime)
    return None


class ServeCommand:
    """Run the reference DICOMweb server until Ctrl+C or SIGTERM."""

    help = "run the reference DICOMweb server (tests and demos; binds 127.0.0.1)"

    def configure(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--root", default=None, help="folder for stored files (default: temporary)"
        )
        parser.add_argument(
            "--port", type=_port, default=8042, help="TCP port (default 8042; 0 picks a free one)"
        )
        parser.add_argument(
            "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)"
        )
        parser.add_argument("--api-version", default=None, help="path prefix such as v1 or v2")
        parser.add_argument(
            "--empty-result-status",
            type=int,
            choices=(200, 204),
            default=200,
            help="status of a search without results",
        )
        parser.add_argument(
            "--duplicate-policy",
            choices=("reject", "replace"),
            default="reject",
            help="what STOW does with an instance that is already stored",
        )
        parser.add_argument(
            "--basic-auth",
            action="append",
            metavar="USER:PASSWORD",
            help="require HTTP basic auth (repeat for several users)",
        )
        parser.add_argument(
            "--oauth2-client",
            action="append",
            metavar="ID:SECRET",
            help="require bearer tokens from POST /oauth2/token (client credentials; repeatable)",
        )
        parser.add_argument(
            "--token-lifetime", type=float, default=3600.0, help="seconds a token stays valid"
        )

    def run(self, args: argparse.Namespace) -> int:
        try:
            from dicomkit_server import ReferenceServer
        except ImportError as exc:
            missing = exc.name or exc
            print(
                f"dicomkit serve needs the server extra: pip install 'dicomkit[server]'"
                f" (missing: {missing})",
                file=sys.stderr,
            )
            return 2
        try:
            auth = _server_auth(args)
        except ValueError as exc:
            print(f"dicomkit serve: {exc}", file=sys.stderr)
            return 2
        try:
            server = ReferenceServer(
                args.root,
                auth=auth,
                host=args.host,
                port=args.port,
                api_version=args.api_version,
                empty_result_status=args.empty_result_status,
                duplicate_policy=args.duplicate_policy,
            )
        except OSError as exc:
            print(f"dicomkit serve: cannot use --root {args.root}: {exc}", file=sys.stderr)
            return 1
        signal.signal(signal.SIGTERM, _interrupt)
        try:
            try:
                url = server.start()
            except OSError as exc:
                print(
                    f"dicomkit serve: cannot listen on {args.host}:{args.port}: {exc}",
                    file=sys.stderr,
                )
                return 1
            print(f"dicomkit reference server: DICOMweb root {url} (files under {server.root})")
            if auth is not None and not isinstance(auth, dict):
                print(f"OAuth2 token endpoint: {server.token_url}")
            print("Press Ctrl+C to stop.", flush=True)
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
        finally:
            server.stop()
        return 0


serve_command = ServeCommand()
"""The object the ``serve`` entry point names."""
