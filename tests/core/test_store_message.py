"""The StoreError message a user reads: every failure named, even one without UIDs; bad
batch limits are argument errors naming the option."""

from __future__ import annotations

from typing import Any

import pytest

from dicomkit.core.dicomjson import FailedInstance, StoredInstance, StoreResult
from dicomkit.core.errors import BadRequestError, InvalidArgumentError
from dicomkit.core.interface import Request
from dicomkit.core.stow import StowItem, interpret_store, plan_batches, store_error_message


def test_a_failure_without_uids_is_described_in_words() -> None:
    result = StoreResult(failed=[FailedInstance("", "", 0xC000, "Cannot understand")], status=409)
    message = store_error_message(result, 409)
    assert message.startswith("STOW-RS (HTTP 409) stored 0 of 1 instance(s)")
    assert "an instance the server did not name: Cannot understand (0xC000)" in message
    assert "?" not in message


def test_named_failures_and_warnings_are_all_listed() -> None:
    result = StoreResult(
        stored=[StoredInstance("1.2", "1.2.3", None, None)],
        failed=[FailedInstance("1.2", "1.2.4", 0x0110, "Processing failure", "study mismatch")],
        warnings=["coerced"],
        status=202,
    )
    message = store_error_message(result, 202)
    assert "stored 1 of 2 instance(s)" in message
    assert "1.2.4: Processing failure (0x0110): study mismatch" in message
    assert "warning: coerced" in message


@pytest.mark.parametrize(
    ("max_count", "max_bytes", "named"),
    [
        ("x", 10, "max_batch_instances"),
        (-3, 10, "max_batch_instances"),
        (True, 10, "max_batch_instances"),
        (5, 0.5, "max_batch_bytes"),
        (5, 0, "max_batch_bytes"),
    ],
)
def test_bad_batch_limits_are_invalid_arguments(max_count: Any, max_bytes: Any, named: str) -> None:
    with pytest.raises(InvalidArgumentError, match=f"{named} must be an integer >= 1"):
        plan_batches([StowItem(b"x")], max_count=max_count, max_bytes=max_bytes)


ORTHANC_REFUSAL = (
    b'{\n\t"00080005" : {"Value" : ["ISO_IR 100"], "vr" : "CS"},\n'
    b'\t"00081198" : {"vr" : "SQ"},\n\t"00081199" : {"vr" : "SQ"}\n}\n'
)


def test_a_refusal_naming_no_instance_says_so_in_words() -> None:
    request = Request("POST", "http://127.0.0.1:1/dicom-web/studies")
    with pytest.raises(BadRequestError) as caught:
        interpret_store(request, 400, {}, ORTHANC_REFUSAL)
    error = caught.value
    assert "stored nothing and did not say which instance it refused" in str(error)
    assert str(error).startswith("HTTP 400 for POST http://127.0.0.1:1/dicom-web/studies: ")
    assert error.body == ORTHANC_REFUSAL


def test_a_refusal_with_reasons_keeps_them() -> None:
    request = Request("POST", "http://127.0.0.1:1/studies")
    with pytest.raises(BadRequestError) as caught:
        interpret_store(request, 400, {"Warning": '299 x "part 1: not DICOM"'}, b"{}")
    assert str(caught.value).endswith(": part 1: not DICOM")
