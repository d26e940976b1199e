"""--proxy, --no-proxy, --ca-bundle, --cert/--key and --insecure: the client's network settings
from the command line (issue 14), through a real proxy and real processes."""

from __future__ import annotations

import argparse
from typing import Any

import pytest

from dicomkit.cli import UsageError
from dicomkit.cli._connect import network_options
from dicomkit.cli._globals import fill_defaults
from dicomkit.cli._profiles import Profile
from dicomkit.testing.contract import ProxyServer

from .conftest import Dicomkit, ok


def _options(
    profile: Profile | None = None, environ: dict[str, str] | None = None, **given: object
) -> dict[str, Any]:
    args = argparse.Namespace(**given)
    fill_defaults(args)
    return network_options(args, profile or Profile(), environ or {})


def test_nothing_given_leaves_the_clients_defaults() -> None:
    assert _options() == {}


def test_each_option_reaches_the_client_and_beats_the_profile() -> None:
    profile = Profile(proxy="http://p:1", ca_bundle="/p/ca.pem", cert="/p/c.pem", key="/p/k.pem")
    assert _options(profile) == {
        "verify": "/p/ca.pem",
        "cert": ("/p/c.pem", "/p/k.pem"),
        "proxy": "http://p:1",
    }
    given = _options(profile, proxy="http://q:2", ca_bundle="/q/ca.pem", cert="/q/c.pem")
    assert given == {"verify": "/q/ca.pem", "cert": ("/q/c.pem", "/p/k.pem"), "proxy": "http://q:2"}
    assert _options(profile, no_proxy=True, insecure=True)["proxy"] is None
    assert _options(profile, insecure=True)["verify"] is False


def test_the_ca_bundle_variables_hold_whatever_the_transport() -> None:
    assert _options(environ={"CURL_CA_BUNDLE": "/c.pem"}) == {"verify": "/c.pem"}
    both = {"REQUESTS_CA_BUNDLE": "/r.pem", "CURL_CA_BUNDLE": "/c.pem"}
    assert _options(environ=both) == {"verify": "/r.pem"}  # requests' order
    assert _options(environ={"REQUESTS_CA_BUNDLE": ""}) == {}  # empty: not set
    assert _options(Profile(ca_bundle="/p.pem"), both) == {"verify": "/p.pem"}
    assert _options(environ=both, ca_bundle="/q.pem") == {"verify": "/q.pem"}
    assert _options(environ=both, insecure=True) == {"verify": False}


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"insecure": True, "ca_bundle": "/ca.pem"}, "--insecure and --ca-bundle"),
        ({"proxy": "http://p:1", "no_proxy": True}, "--proxy and --no-proxy"),
        ({"key": "/k.pem"}, "--key needs --cert"),
    ],
)
def test_contradictions_are_usage_errors(given: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        _options(**given)


def test_a_search_goes_through_the_proxy_given(dk: Dicomkit, dicomweb_server: Any) -> None:
    with ProxyServer() as proxy:
        out = ok(dk("search", "studies", "--url", dicomweb_server.url, "--proxy", proxy.url))
    assert out is not None
    assert proxy.seen, "the proxy saw no request"
    method, target = proxy.seen[0]
    assert method == "GET"
    assert target.startswith(str(dicomweb_server.url).rstrip("/") + "/studies")


def test_no_proxy_ignores_a_dead_proxy_in_the_environment(
    dk: Dicomkit, dicomweb_server: Any
) -> None:
    dead = {"HTTP_PROXY": "http://127.0.0.1:9", "http_proxy": "http://127.0.0.1:9"}
    failed = dk("search", "studies", "--url", dicomweb_server.url, env=dead)
    assert failed.returncode == 4, failed.stderr
    ok(dk("search", "studies", "--url", dicomweb_server.url, "--no-proxy", env=dead))


def test_contradicting_options_exit_with_the_usage_status(dk: Dicomkit) -> None:
    result = dk(
        "search", "studies", "--url", "http://127.0.0.1:9", "--insecure", "--ca-bundle", "x"
    )
    assert result.returncode == 2
    assert "--insecure and --ca-bundle" in result.stderr
