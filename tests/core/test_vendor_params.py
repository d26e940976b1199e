"""A vendor's own query parameters (``extra_params``) on WADO-RS, STOW-RS and DELETE requests,
and the parts of the base URL under dicomweb-client's names (docs/migrating.md, rows 3 and 8).

Every request's query goes through one function, ``urls.with_query``: what a caller gives comes
back unchanged from the URL's query, whatever its characters, and never adds a parameter or a
path segment.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dicomkit.core.errors import InvalidArgumentError
from dicomkit.core.interface import Request
from dicomkit.core.operations import Exchanges, Operations
from dicomkit.core.urls import DicomWebURLs, with_query

BASE = "https://pacs.test:8443/dcm4chee-arc/aets/DCM4CHEE/rs"
URLS = DicomWebURLs(BASE)
OPS = Operations(URLS)
EXCHANGES = Exchanges(OPS)
STUDY, SERIES, SOP = "1.2.3", "1.2.3.4", "1.2.3.4.5"
BULK = f"{BASE}/studies/{STUDY}/series/{SERIES}/instances/{SOP}/bulk/7FE00010"


def _requests(extra: Any) -> dict[str, Request]:
    """One request of every kind that takes ``extra_params``, built with ``extra``."""
    target = (STUDY, SERIES, SOP)
    return {
        "retrieve": OPS.retrieve(*target, extra_params=extra),
        "metadata": OPS.metadata(STUDY, extra_params=extra),
        "frames": OPS.frames(*target, [1, 2], extra_params=extra),
        "rendered": OPS.rendered(*target, params={"quality": 80}, extra_params=extra),
        "thumbnail": OPS.rendered(STUDY, resource="thumbnail", extra_params=extra),
        "bulkdata": OPS.bulkdata(BULK, byte_range=(0, 9), extra_params=extra),
        "store": OPS.store(b"", "b0undary", STUDY, extra_params=extra),
        "delete": OPS.delete(STUDY, SERIES, extra_params=extra),
        "parts": EXCHANGES.parts(*target, extra_params=extra).request,
        "instance metadata": EXCHANGES.instance_metadata(*target, extra_params=extra).request,
        "bulk parts": EXCHANGES.bulkdata_parts(BULK, ["image/jpeg"], extra_params=extra).request,
        "exchange delete": EXCHANGES.delete(STUDY, extra_params=extra).request,
    }


def _vendor_pairs(request: Request) -> list[tuple[str, str]]:
    """The query pairs of ``request``'s URL that are not rendering parameters."""
    pairs = parse_qsl(urlsplit(request.url).query, keep_blank_values=True)
    return [(name, value) for name, value in pairs if name != "quality"]


names = st.text(min_size=1, max_size=12).filter(
    lambda name: name.strip() and name.lower() not in ("accept", "quality", "viewport", "charset")
)
values = st.one_of(st.text(max_size=12), st.integers(), st.booleans())


@given(st.lists(st.tuples(names, values), max_size=4))
def test_what_a_caller_gives_is_what_the_server_reads_on_every_request(pairs):
    sent = [
        (name, ("true" if v else "false") if isinstance(v, bool) else str(v)) for name, v in pairs
    ]
    plain = _requests(None)
    for kind, request in _requests(pairs).items():
        assert _vendor_pairs(request) == sent, kind
        before = plain[kind].url
        assert request.url.split("?")[0] == before.split("?")[0], kind  # the path is untouched
        assert request.headers == plain[kind].headers, kind


@given(st.lists(st.text(max_size=8), min_size=1, max_size=4))
def test_a_list_is_one_parameter_with_raw_commas_between_encoded_values(items):
    request = OPS.retrieve(STUDY, extra_params={"orderby": items})
    query = urlsplit(request.url).query
    name, _, text = query.partition("=")
    assert name == "orderby"
    assert "&" not in text
    assert [unquote(piece) for piece in text.split(",")] == items


def test_parameters_follow_the_query_a_url_has_and_never_its_fragment():
    assert with_query("http://h/a", [("x", "1")]) == "http://h/a?x=1"
    assert with_query("http://h/a?ref=7", [("x", "1")]) == "http://h/a?ref=7&x=1"
    assert with_query("http://h/a?", [("x", "1")]) == "http://h/a?x=1"
    assert with_query("http://h/a?y=2&", [("x", "1")]) == "http://h/a?y=2&x=1"
    assert with_query("http://h/a#f?g", [("x", "1")]) == "http://h/a?x=1#f?g"
    assert with_query("http://h/a?b", []) == with_query("http://h/a?b", None) == "http://h/a?b"
    request = OPS.bulkdata(f"{BULK}?offset=0&length=10", extra_params={"x": "a&b=c"})
    assert request.url == f"{BULK}?offset=0&length=10&x=a%26b%3Dc"


def test_rendering_parameters_come_first_and_cannot_be_smuggled_in_as_vendor_ones():
    request = OPS.rendered(STUDY, SERIES, SOP, params={"quality": 80}, extra_params={"v": 1})
    assert request.url.endswith("/rendered?quality=80&v=1")
    with pytest.raises(InvalidArgumentError, match="'Quality' is a rendering parameter"):
        OPS.rendered(STUDY, SERIES, SOP, extra_params={"Quality": 80})
    with pytest.raises(InvalidArgumentError, match="'viewport' is a rendering parameter"):
        OPS.rendered(STUDY, resource="thumbnail", extra_params={"viewport": "64,64"})
    thumbnail = OPS.rendered(STUDY, resource="thumbnail", extra_params={"quality": 5})
    assert thumbnail.url.endswith("/thumbnail?quality=5")  # not a thumbnail's parameter


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"accept": "application/dicom+xml"}, "'accept' would ask for another answer"),
        ({"ACCEPT": "x"}, "'ACCEPT' would ask for another answer"),
        ({"": 1}, "query parameter name '' is not a name"),
        ({"x": None}, "query parameter 'x' cannot be None"),
        ({"x": []}, "query parameter 'x' cannot be []"),
        ([(3, "x")], "query parameter name 3 is not a name"),
    ],
)
def test_refusals_come_before_any_request_of_every_kind(extra, message):
    builders = [
        lambda: OPS.retrieve(STUDY, extra_params=extra),
        lambda: OPS.metadata(STUDY, extra_params=extra),
        lambda: OPS.frames(STUDY, SERIES, SOP, [1], extra_params=extra),
        lambda: OPS.rendered(STUDY, extra_params=extra),
        lambda: OPS.bulkdata(BULK, extra_params=extra),
        lambda: OPS.store(b"", "b0undary", extra_params=extra),
        lambda: OPS.delete(STUDY, extra_params=extra),
    ]
    for build in builders:
        with pytest.raises(InvalidArgumentError) as caught:
            build()
        assert str(caught.value).startswith(message)


def test_standard_search_options_are_vendor_parameters_outside_searches():
    assert OPS.retrieve(STUDY, extra_params={"limit": 5}).url.endswith(f"/studies/{STUDY}?limit=5")
    with pytest.raises(InvalidArgumentError, match="standard query option"):
        OPS.search("studies", extra_params={"limit": 5})


@pytest.mark.parametrize(
    ("base", "parts"),
    [
        (BASE, ("https", "pacs.test", 8443, "/dcm4chee-arc/aets/DCM4CHEE/rs")),
        ("http://PACS.test/dicom-web/", ("http", "pacs.test", 80, "/dicom-web")),
        ("HTTPS://pacs.test", ("https", "pacs.test", 443, "")),
        ("http://[::1]:8042/dicom-web", ("http", "::1", 8042, "/dicom-web")),
        ("http://127.0.0.1:0", ("http", "127.0.0.1", 0, "")),
    ],
)
def test_the_base_url_parts_under_dicomweb_clients_names(base, parts):
    urls = DicomWebURLs(base, api_version="v1", partition="p", qido_prefix="q")
    assert (urls.scheme, urls.host, urls.port, urls.url_prefix) == parts
    assert urls.protocol == urls.scheme
    assert urls.root == urls.base_url + "/v1/partitions/p"
    for name in ("scheme", "protocol", "host", "port", "url_prefix"):
        with pytest.raises(AttributeError):
            setattr(urls, name, "x")


@given(
    st.sampled_from(["http", "https", "HTTP"]),
    st.from_regex(r"[a-z][a-z0-9-]{0,10}(\.[a-z][a-z0-9-]{0,10}){0,2}", fullmatch=True),
    st.one_of(st.none(), st.integers(1, 65535)),
    st.lists(st.from_regex(r"[A-Za-z0-9_~-]{1,8}", fullmatch=True), max_size=3),
)
def test_the_parts_put_back_together_give_the_base_url(scheme, host, port, segments):
    path = "".join("/" + s for s in segments)
    base = f"{scheme}://{host}{'' if port is None else f':{port}'}{path}"
    urls = DicomWebURLs(base)
    default = 80 if scheme.lower() == "http" else 443
    assert urls.port == (default if port is None else port)
    shown = "" if port is None else f":{port}"
    assert f"{urls.protocol}://{urls.host}{shown}{urls.url_prefix}" == urls.base_url
