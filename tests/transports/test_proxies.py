"""support.Proxies: the one proxy decision every backend asks (the contract checks the wire)."""

from __future__ import annotations

import pickle
import urllib.request

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dicomkit.core.errors import InvalidArgumentError
from dicomkit.testing.contract._support import proxy_environment
from dicomkit.transports.support import ENVIRONMENT, Proxies, common_options, proxies_option


def test_an_explicit_proxy_applies_to_every_url_and_ignores_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    proxy_environment(monkeypatch, http_proxy="http://env:1", no_proxy="*")
    proxies = proxies_option("http://user:pw@proxy:3128")
    assert proxies.for_url("http://pacs/x") == "http://user:pw@proxy:3128"
    assert proxies.for_url("https://pacs/x") == "http://user:pw@proxy:3128"
    assert proxies.given


def test_none_means_no_proxy_even_where_the_environment_names_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    proxy_environment(monkeypatch, http_proxy="http://env:1")
    assert proxies_option(None).for_url("http://pacs/x") is None
    assert proxies_option(ENVIRONMENT).for_url("http://pacs/x") == "http://env:1"


def test_the_environment_by_scheme_with_no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    proxy_environment(
        monkeypatch,
        http_proxy="proxy:3128",  # no scheme: http:// as curl reads it
        HTTPS_PROXY="http://secure:3129",
        no_proxy="intranet.example, 10.0.0.1:8042",
    )
    proxies = Proxies()
    assert proxies.for_url("http://pacs.example/x") == "http://proxy:3128"
    assert proxies.for_url("https://pacs.example/x") == "http://secure:3129"
    assert proxies.for_url("http://a.intranet.example/x") is None
    assert proxies.for_url("http://10.0.0.1:8042/x") is None
    assert not proxies.given


def test_all_proxy_and_a_star(monkeypatch: pytest.MonkeyPatch) -> None:
    proxy_environment(monkeypatch, all_proxy="http://every:1")
    assert Proxies().for_url("https://pacs/x") == "http://every:1"
    proxy_environment(monkeypatch, all_proxy="http://every:1", no_proxy="*")
    assert Proxies().for_url("https://pacs/x") is None


def test_a_cgi_process_ignores_upper_case_http_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """httpoxy: a request's ``Proxy:`` header becomes HTTP_PROXY in a CGI environment."""
    proxy_environment(monkeypatch, HTTP_PROXY="http://attacker:1", REQUEST_METHOD="GET")
    assert Proxies().for_url("http://pacs/x") is None


@pytest.mark.parametrize("bad", ["socks5://127.0.0.1:1080", "https://proxy:1", "http://", 3128])
def test_proxies_other_than_http_are_refused(bad: object) -> None:
    with pytest.raises(InvalidArgumentError):
        proxies_option(bad)  # type: ignore[arg-type]


def test_an_unsupported_proxy_in_the_environment_is_refused_when_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    proxy_environment(monkeypatch, https_proxy="socks5://127.0.0.1:1080")
    assert Proxies().for_url("http://pacs/x") is None
    with pytest.raises(InvalidArgumentError, match="https_proxy"):
        Proxies().for_url("https://pacs/x")


def test_common_options_carry_the_proxy_and_pickle() -> None:
    options = common_options({"proxy": "http://proxy:3128"})
    assert options.proxies == Proxies("http://proxy:3128", environment=False)
    assert pickle.loads(pickle.dumps(options)) == options
    assert common_options({}).proxies == Proxies()


_values = st.sampled_from([None, "", "http://a:1", "http://b:2"])


@settings(max_examples=200, deadline=None)
@given(
    lower=st.tuples(_values, _values, _values),
    upper=st.tuples(_values, _values, _values),
    cgi=st.booleans(),
    scheme=st.sampled_from(["http", "https"]),
)
def test_the_environment_is_read_as_the_standard_library_reads_it(
    lower: tuple[str | None, ...], upper: tuple[str | None, ...], cgi: bool, scheme: str
) -> None:
    """Only the few names are read (getproxies_environment walks the whole environment, 80 us
    a request), with the same precedence: lower case first, empty means none, httpoxy."""
    names = ("http_proxy", "https_proxy", "all_proxy")
    with pytest.MonkeyPatch.context() as patch:
        proxy_environment(patch)
        uppers = tuple(name.upper() for name in names)
        pairs = [*zip(names, lower, strict=True), *zip(uppers, upper, strict=True)]
        for name, value in pairs:
            if value is not None:
                patch.setenv(name, value)
        if cgi:
            patch.setenv("REQUEST_METHOD", "GET")
        found = urllib.request.getproxies_environment()
        expected = found.get(scheme) or found.get("all")
        assert Proxies().for_url(f"{scheme}://pacs.example/") == expected
