"""Edges of the URL builder the rest of the suite never reaches: 5- and 6-digit ports, IPv6
literals, references with an empty path or only a fragment, counts of zero, and the messages a
user reads when a base URL is refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dicomkit.core.errors import InvalidArgumentError
from dicomkit.core.urls import (
    DicomWebURLs,
    Origin,
    _has_idna_form,
    build_query,
    origin_of,
    resolve_reference,
    without_userinfo,
)


@pytest.mark.parametrize(
    ("base", "origin"),
    [
        ("http://h:1", Origin("http", "h", 1)),
        ("http://h:8042", Origin("http", "h", 8042)),
        ("http://h:65535/dw", Origin("http", "h", 65535)),
        ("http://h:08042", Origin("http", "h", 8042)),  # five digits, a leading zero
        ("https://h", Origin("https", "h", 443)),
        ("http://h:", Origin("http", "h", 80)),  # an empty port is the default (RFC 3986)
        ("HTTP://Host.Example", Origin("http", "host.example", 80)),
    ],
)
def test_accepted_ports(base, origin):
    urls = DicomWebURLs(base)
    assert origin_of(urls.root) == origin


@pytest.mark.parametrize(
    ("base", "shown"),
    [
        ("http://h:65536", "h:65536"),
        ("http://h:99999", "h:99999"),
        ("http://h:123456", "h:123456"),  # six digits
        ("http://h:8042x", "h:8042x"),
        ("http://h:-1", "h:-1"),
        ("http://h:+80", "h:+80"),
        ("http://h:8 0", "h:8 0"),
    ],
)
def test_refused_ports_are_named(base, shown):
    with pytest.raises(InvalidArgumentError) as caught:
        DicomWebURLs(base)
    expected = "bad host in URL" if " " in shown else "bad port in URL"
    assert str(caught.value) == f"{expected}: {shown!r}"


@pytest.mark.parametrize(
    ("base", "root", "origin"),
    [
        ("http://[::1]:8042/dicom-web", "http://[::1]:8042/dicom-web", Origin("http", "::1", 8042)),
        ("http://[::1]", "http://[::1]", Origin("http", "::1", 80)),
        ("https://[2001:DB8::1]/", "https://[2001:DB8::1]", Origin("https", "2001:db8::1", 443)),
        ("http://[::1]:65535", "http://[::1]:65535", Origin("http", "::1", 65535)),
    ],
)
def test_ipv6_literals(base, root, origin):
    urls = DicomWebURLs(base)
    assert urls.root == root
    assert origin_of(urls.root) == origin
    assert urls.retrieve("1.2") == f"{root}/studies/1.2"


@pytest.mark.parametrize(
    ("base", "message"),
    [
        ("http://[::1", "bad host in URL: '[::1'"),
        ("http://[::1]x", "bad host in URL: '[::1]x'"),
        ("http://[::1]:65536", "bad port in URL: '[::1]:65536'"),
        ("http://[::1]:123456", "bad port in URL: '[::1]:123456'"),
        ("http://:80", "bad host in URL: ':80'"),
        (
            "http://u:p@h",
            "credentials in the URL are not accepted; pass auth= to the client instead",
        ),
        ("ftp://h", "base_url 'ftp://h' must use http or https"),
        (
            "http://h?x=1",
            "base_url 'http://h?x=1' must be an absolute http(s) URL without query or fragment",
        ),
        ("http://h/a/../b", "base_url path '/a/../b' has '.' or '..' segments"),
        ("http://h/a b", "base_url path '/a b' has characters that must be percent-encoded"),
    ],
)
def test_refused_base_urls_say_why(base, message):
    with pytest.raises(InvalidArgumentError) as caught:
        DicomWebURLs(base)
    assert str(caught.value) == message


def test_a_long_base_url_is_shortened_in_the_message():
    base = "ftp://" + "h" * 200
    with pytest.raises(InvalidArgumentError) as caught:
        DicomWebURLs(base)
    assert str(caught.value) == f"base_url {repr(base)[:80]}... must use http or https"


def test_origin_of_is_lenient_about_ports_it_cannot_read():
    assert origin_of("http://h:123456/") == Origin("http", "h", 80)
    assert origin_of("http://h:99999/") == Origin("http", "h", 99999)
    assert origin_of("http://[::1]/") == Origin("http", "::1", 80)
    assert origin_of("http://[::1]x/") == Origin("http", "::1", 80)
    assert origin_of("https://User:pw@Host.Example.:443/") == Origin("https", "host.example", 443)
    assert origin_of("gopher://h/") == Origin("gopher", "h", None)


@pytest.mark.parametrize(
    ("reference", "resolved"),
    [
        ("", "http://h/a/b?q"),  # empty: the base without its fragment
        ("#g", "http://h/a/b?q#g"),  # a fragment only: same path and query
        ("?y", "http://h/a/b?y"),  # a query only: same path
        ("c", "http://h/a/c"),
        ("./", "http://h/a/"),
        ("..", "http://h/"),
        ("../..", "http://h/"),
        ("/x/./y/../z", "http://h/x/z"),
        ("//other/p", "http://other/p"),
        ("https://s/p?x#f", "https://s/p?x#f"),
    ],
)
def test_resolve_reference(reference, resolved):
    assert resolve_reference("http://h/a/b?q#f", reference) == resolved


def test_resolve_reference_against_a_base_with_an_empty_path():
    assert resolve_reference("http://h", "c") == "http://h/c"
    assert resolve_reference("http://h", "") == "http://h"
    assert resolve_reference("http://h?q", "#f") == "http://h?q#f"


@pytest.mark.parametrize(
    ("uri", "resolved"),
    [
        ("bulk/1", "http://h:8042/dw/bulk/1"),
        ("/bulk/1", "http://h:8042/bulk/1"),
        ("//h:8042/b", "http://h:8042/b"),
        ("http://H:8042/b", "http://H:8042/b"),
        ("  http://h:8042/b  ", "http://h:8042/b"),
        ("?x=1", "http://h:8042/dw/?x=1"),
        ("#f", "http://h:8042/dw/#f"),
    ],
)
def test_resolve_server_links(uri, resolved):
    assert DicomWebURLs("http://h:8042/dw").resolve(uri) == resolved


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("", "cannot resolve '' as a URL"),
        ("   ", "cannot resolve '   ' as a URL"),
        ("http://h:8042/a b", "URL 'http://h:8042/a b' contains whitespace"),
        (
            "http://other:8042/b",
            "refusing to follow 'http://other:8042/b': it is not on http://h:8042, and the "
            "request would carry your credentials there (a server behind a proxy that advertises "
            "its internal address: use the dialect's other_origin='rewrite')",
        ),
        (
            "http://h:8043/b",
            "refusing to follow 'http://h:8043/b': it is not on http://h:8042, and the "
            "request would carry your credentials there (a server behind a proxy that advertises "
            "its internal address: use the dialect's other_origin='rewrite')",
        ),
        ("http://h:123456/b", "bad port in URL: 'h:123456'"),
    ],
)
def test_refused_server_links(uri, message):
    with pytest.raises(InvalidArgumentError) as caught:
        DicomWebURLs("http://h:8042/dw").resolve(uri)
    assert str(caught.value) == message


def test_other_origins_on_request():
    urls = DicomWebURLs("http://h:8042/dw")
    assert urls.resolve("http://other/b", allow_other_origin=True) == "http://other/b"
    assert DicomWebURLs("http://h").resolve("http://h:80/b") == "http://h:80/b"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://u:p@h/x", "http://h/x"),
        ("//u@h", "//h"),
        ("http://h/a@b", "http://h/a@b"),
    ],
)
def test_without_userinfo(url, shown):
    assert without_userinfo(url) == shown


def test_offset_zero_is_sent_and_limit_starts_at_one():
    assert build_query(limit=1, offset=0) == [("limit", "1"), ("offset", "0")]
    assert build_query(offset=0) == [("offset", "0")]
    assert build_query() == []


@pytest.mark.parametrize(
    ("keyword", "value", "message"),
    [
        ("limit", 0, "limit must be an integer >= 1, not 0"),
        ("limit", -1, "limit must be an integer >= 1, not -1"),
        ("offset", -1, "offset must be an integer >= 0, not -1"),
        ("offset", True, "offset must be an integer >= 0, not True"),
        ("offset", "1", "offset must be an integer >= 0, not '1'"),
    ],
)
def test_counts_refused_by_build_query(keyword, value, message):
    with pytest.raises(InvalidArgumentError) as caught:
        build_query(**{keyword: value})
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("kwargs", "url"),
    [
        ({"api_version": "v1"}, "http://h/dw/v1"),
        ({"api_version": 2}, "http://h/dw/v2"),
        ({"api_version": "/v1/"}, "http://h/dw/v1"),
        ({"api_version": " "}, "http://h/dw"),
        ({"partition": "p 1"}, "http://h/dw/partitions/p%201"),
    ],
)
def test_roots(kwargs, url):
    assert DicomWebURLs("http://h/dw/", **kwargs).root == url


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"api_version": "v1/x"}, "api_version 'v1/x' must be a single segment"),
        ({"api_version": True}, "api_version must be a string like 'v1', not True"),
        ({"partition": ".."}, "partition '..' is not a usable path segment"),
        ({"partition": ""}, "partition '' is not a usable path segment"),
        ({"qido_prefix": 3}, "qido_prefix must be a string, not int"),
    ],
)
def test_refused_roots(kwargs, message):
    with pytest.raises(InvalidArgumentError) as caught:
        DicomWebURLs("http://h/dw", **kwargs)
    assert str(caught.value) == message


def test_references_with_a_scheme_or_an_authority_keep_their_own_query_and_fragment():
    base = "http://h/a/b?q#f"
    assert resolve_reference(base, "https://s/x/../y?k#g") == "https://s/y?k#g"
    assert resolve_reference(base, "//s/x/./y?k#g") == "http://s/x/y?k#g"
    assert resolve_reference(base, "/p?k#g") == "http://h/p?k#g"
    assert resolve_reference(base, "p?k#g") == "http://h/a/p?k#g"
    assert resolve_reference(base, "?k#g") == "http://h/a/b?k#g"


def test_references_without_slashes():
    assert resolve_reference("urn:a", "b") == "urn:b"  # a base path with no slash: replaced
    assert resolve_reference("http://h/a", "urn:x/../y") == "urn:y"  # a relative path stays so
    assert resolve_reference("http://h/a/b", "c/../../d") == "http://h/d"


URLS = DicomWebURLs("http://h/dw")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: URLS.search("patients"),
            "level must be one of ('studies', 'series', 'instances'), not 'patients'",
        ),  # type: ignore[arg-type]
        (
            lambda: URLS.search("studies", "1.2"),
            "a study search cannot be scoped to a study or series",
        ),
        (
            lambda: URLS.search("series", "1.2", "1.3"),
            "a series search cannot be scoped to a series",
        ),
        (lambda: URLS.search("instances", None, "1.3"), "a series UID needs the study UID too"),
        (lambda: URLS.retrieve(None), "retrieve needs a StudyInstanceUID"),  # type: ignore[arg-type]
        (lambda: URLS.retrieve("1.2", None, "1.4"), "an instance UID needs the series UID too"),
        (
            lambda: URLS.retrieve("1.2", resource="pixels"),
            "resource must be None or one of ('metadata', 'rendered', 'thumbnail', 'frames', "
            "'bulkdata'), not 'pixels'",
        ),  # type: ignore[arg-type]
        (
            lambda: URLS.retrieve("1.2", "1.3", "1.4", resource="frames"),
            "resource='frames' needs frame numbers",
        ),
        (
            lambda: URLS.retrieve("1.2", "1.3", frames=[1]),
            "frames belong to an instance: pass its SOPInstanceUID",
        ),
        (
            lambda: URLS.retrieve("1.2", "1.3", "1.4", resource="metadata", frames=1),
            "frames cannot be combined with resource='metadata'",
        ),
        (lambda: URLS.delete(None), "delete needs a StudyInstanceUID"),  # type: ignore[arg-type]
        (lambda: DicomWebURLs(5), "base_url must be a string, not int"),  # type: ignore[arg-type]
        (
            lambda: DicomWebURLs("http://h", partition="."),
            "partition '.' is not a usable path segment",
        ),
    ],
)
def test_url_builder_messages(call, message):
    with pytest.raises(InvalidArgumentError) as caught:
        call()
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("args", "kwargs", "url"),
    [
        (
            ("1.2", "1.3", "1.4"),
            {"frames": 3},
            "http://h/dw/studies/1.2/series/1.3/instances/1.4/frames/3",
        ),
        (
            ("1.2", "1.3", "1.4"),
            {"frames": [1, 2], "resource": "thumbnail"},
            "http://h/dw/studies/1.2/series/1.3/instances/1.4/frames/1,2/thumbnail",
        ),
        (("1.2",), {"resource": "thumbnail"}, "http://h/dw/studies/1.2/thumbnail"),
        (("1.2", "1.3"), {"resource": "metadata"}, "http://h/dw/studies/1.2/series/1.3/metadata"),
    ],
)
def test_retrieve_urls(args, kwargs, url):
    assert URLS.retrieve(*args, **kwargs) == url


def test_prefixes_per_service():
    urls = DicomWebURLs(
        "http://h/dw",
        api_version="v2",
        partition="p",
        qido_prefix="/qido/rs/",
        wado_prefix="wado",
        stow_prefix="stow",
    )
    assert urls.search("studies") == "http://h/dw/v2/partitions/p/qido/rs/studies"
    assert urls.retrieve("1.2") == "http://h/dw/v2/partitions/p/wado/studies/1.2"
    assert urls.store() == "http://h/dw/v2/partitions/p/stow/studies"
    assert urls.store("1.2") == "http://h/dw/v2/partitions/p/stow/studies/1.2"
    assert urls.delete("1.2") == "http://h/dw/v2/partitions/p/wado/studies/1.2"
    assert DicomWebURLs("http://h", delete_prefix="del").delete("1.2") == "http://h/del/studies/1.2"
    assert DicomWebURLs("http://h", qido_prefix="/").qido_root == "http://h"
    assert repr(urls) == "DicomWebURLs('http://h/dw/v2/partitions/p')"


@pytest.mark.parametrize(
    ("base", "message"),
    [
        ("http://h:1:2", "bad host in URL: 'h:1:2'"),  # a colon in a name: only IPv6 has them
        ("http://::1/dw", "bad host in URL: '::1'"),  # an IPv6 address needs its brackets
        ("http://[::1]:80]", "bad port in URL: '[::1]:80]'"),
        ("http://[::1]]", "bad host in URL: '[::1]]'"),
        ("http://h:000080", "bad port in URL: 'h:000080'"),  # at most five digits
        ("http://h\\x", "bad host in URL: 'h\\\\x'"),
    ],
)
def test_malformed_authorities(base, message):
    with pytest.raises(InvalidArgumentError) as caught:
        DicomWebURLs(base)
    assert str(caught.value) == message


def test_capital_x_is_an_ordinary_character():
    assert DicomWebURLs("http://X-ray.example").root == "http://X-ray.example"
    assert DicomWebURLs("http://h:8042/dw").resolve("http://h:8042/Xray") == "http://h:8042/Xray"


def test_scheme_relative_links_are_checked_for_their_origin():
    urls = DicomWebURLs("http://h:8042/dw")
    with pytest.raises(InvalidArgumentError, match="refusing to follow 'http://other/b'"):
        urls.resolve("//other/b")
    with pytest.raises(InvalidArgumentError) as caught:
        urls.resolve("ftp://h:8042/x")
    assert str(caught.value) == "URL 'ftp://h:8042/x' must use http or https"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: URLS.retrieve("1.x"), "StudyInstanceUID '1.x' may contain only digits and dots"),
        (
            lambda: URLS.retrieve("1.2", "1.x"),
            "SeriesInstanceUID '1.x' may contain only digits and dots",
        ),
        (
            lambda: URLS.retrieve("1.2", "1.3", "1.x"),
            "SOPInstanceUID '1.x' may contain only digits and dots",
        ),
        (lambda: DicomWebURLs("http://h/a/./b"), "base_url path '/a/./b' has '.' or '..' segments"),
        (
            lambda: DicomWebURLs("http://h", qido_prefix="a/../b"),
            "qido_prefix '..' is not a usable path segment",
        ),
        (
            lambda: DicomWebURLs("http://h", wado_prefix=".."),
            "wado_prefix '..' is not a usable path segment",
        ),
        (
            lambda: DicomWebURLs("http://h", stow_prefix="a//b"),
            "stow_prefix '' is not a usable path segment",
        ),
        (
            lambda: DicomWebURLs("http://h", delete_prefix="."),
            "delete_prefix '.' is not a usable path segment",
        ),
    ],
)
def test_uid_and_segment_messages_name_what_is_wrong(call, message):
    with pytest.raises(InvalidArgumentError) as caught:
        call()
    assert str(caught.value) == message


def test_the_partition_is_kept():
    assert DicomWebURLs("http://h", partition="p").partition == "p"
    assert DicomWebURLs("http://h").partition is None


@given(st.lists(st.text(alphabet="ab-é", max_size=70), max_size=5).map(".".join))
def test_a_host_is_accepted_exactly_when_the_idna_codec_encodes_it(host: str) -> None:
    """ASCII names are checked without the codec (its import is part of every start): the
    verdict must stay the codec's, for ASCII and other names alike."""
    try:
        host.encode("idna")
        expected = True
    except UnicodeError:
        expected = False
    assert _has_idna_form(host) is expected
