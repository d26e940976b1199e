"""Each DICOMweb operation as one pure exchange: its Request plus the reader of its answer.

- :mod:`~dicomkit.core.operations.builder`: :class:`Operations` builds every Request;
- :mod:`~dicomkit.core.operations.exchange`: the exchanges, state machines that read an
  answer fed chunk by chunk (JSON, pages, parts, part events, bulk data, renderings);
- :mod:`~dicomkit.core.operations.factory`: :class:`Exchanges` makes the exchange of each
  operation in the server's :class:`Dialect` (:mod:`~dicomkit.core.operations.dialect`),
  with the shared keyword options of :mod:`~dicomkit.core.operations.options`;
- :mod:`~dicomkit.core.operations.answers`, :mod:`~dicomkit.core.operations.parts` and
  :mod:`~dicomkit.core.operations.paging`: the pieces the exchanges read answers with.

The clients connect an exchange to a transport and nothing else. STOW-RS bodies, batching
and its exchange live in :mod:`dicomkit.core.stow`.
"""

from __future__ import annotations

from dicomkit.core.operations.answers import (
    ERROR_BODY_LIMIT,
    apply_byte_range,
    distinct_values,
    error_from_response,
    parse_json_array,
    parse_json_object,
    raise_for_status,
    reasons_from_body,
)
from dicomkit.core.operations.builder import (
    USER_AGENT,
    Operations,
    TimeoutInput,
    coerce_timeout,
    frame_list,
    patient_filter,
    with_headers,
)
from dicomkit.core.operations.dialect import DIALECTS, ORTHANC, STANDARD, Dialect, resolve_dialect
from dicomkit.core.operations.exchange import (
    MAX_JSON_BYTES,
    BodyExchange,
    BulkDataExchange,
    DeleteExchange,
    Exchange,
    FramesExchange,
    JsonArrayExchange,
    JsonObjectExchange,
    PartEventsExchange,
    PartsExchange,
    RenderedExchange,
    RenderedImageExchange,
    SearchPagesExchange,
    Step,
)
from dicomkit.core.operations.factory import Exchanges
from dicomkit.core.operations.options import (
    RenderOptions,
    RetrieveOptions,
    SearchAllOptions,
    SearchOptions,
)
from dicomkit.core.operations.paging import Pager
from dicomkit.core.operations.parts import PartAssembler, PartEvents

__all__ = [
    "BodyExchange",
    "DIALECTS",
    "ERROR_BODY_LIMIT",
    "ORTHANC",
    "STANDARD",
    "USER_AGENT",
    "BulkDataExchange",
    "DeleteExchange",
    "Dialect",
    "Exchange",
    "Exchanges",
    "FramesExchange",
    "JsonArrayExchange",
    "JsonObjectExchange",
    "MAX_JSON_BYTES",
    "Operations",
    "PartAssembler",
    "PartEvents",
    "PartEventsExchange",
    "Pager",
    "PartsExchange",
    "RenderedExchange",
    "RenderOptions",
    "RenderedImageExchange",
    "RetrieveOptions",
    "SearchAllOptions",
    "SearchOptions",
    "SearchPagesExchange",
    "Step",
    "TimeoutInput",
    "apply_byte_range",
    "coerce_timeout",
    "distinct_values",
    "error_from_response",
    "frame_list",
    "parse_json_array",
    "parse_json_object",
    "patient_filter",
    "raise_for_status",
    "reasons_from_body",
    "resolve_dialect",
    "with_headers",
]
