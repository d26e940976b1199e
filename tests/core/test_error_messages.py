"""HTTPError messages as a user reads them in a log: one line, bounded, reasons first."""

from __future__ import annotations

from dicomkit.core.errors import BadRequestError, HTTPError


def test_a_pretty_printed_body_becomes_one_line() -> None:
    body = b'{\n\t"00081198" : \n\t{\n\t\t"vr" : "SQ"\n\t}\n}\n'
    error = BadRequestError(400, method="POST", url="http://127.0.0.1:1/studies", body=body)
    assert str(error) == (
        'HTTP 400 for POST http://127.0.0.1:1/studies: { "00081198" : { "vr" : "SQ" } }'
    )
    assert error.body == body  # the body itself is kept as sent


def test_the_preview_is_bounded_and_reasons_win() -> None:
    long_body = b"x" * 10_000
    assert len(str(HTTPError(500, body=long_body))) < 600
    with_reasons = HTTPError(404, body=b"ignored", reasons=["no such study"])
    assert str(with_reasons) == "HTTP 404: no such study"
