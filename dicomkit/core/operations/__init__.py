"""Each DICOMweb operation as one pure exchange: its Request plus the reader of its answer.

- :mod:`~dicomkit.core.operations.builder`: :class:`Operations` builds every Request;
- :mod:`~dicomkit.core.operations.exchange`: the exchanges, state machines that read an
  answer fed chunk by chunk (JSON, pages, parts, part events, bulk data, renderings);
- :mod:`~dicomkit.core.operations.factory`: :class:`Exchanges` makes the exchange of each
  operation in the server's :class:`Dialect` (:mod:`~dicomkit.core.operations.dialect`),
  with the shared keyword options of :mod:`~dicomkit.core.operations.options`;
- :mod:`~dicomkit.core.operations.answers`, :mod:`~dicomkit.core.operations.parts`,
  :mod:`~dicomkit.core.operations.httpwarnings` (the one ``Warning`` header reader) and
  :mod:`~dicomkit.core.operations.paging` (pages, :class:`SearchResult`, truncation): the
  pieces the exchanges read answers with;
- :mod:`~dicomkit.core.operations.azure` and
  :mod:`~dicomkit.core.operations.azure_exchanges`: the Azure DICOM service's own APIs
  (change feed, extended query tags, operations, bulk update, export).

The clients connect an exchange to a transport and nothing else. STOW-RS bodies, batching
and its exchange live in :mod:`dicomkit.core.stow`.
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dicomkit.core.operations.answers import (
        ERROR_BODY_LIMIT,
        apply_byte_range,
        check_content_range,
        distinct_values,
        error_from_response,
        parse_json_array,
        parse_json_object,
        raise_for_status,
        reasons_from_body,
    )
    from dicomkit.core.operations.azure import (
        ChangeFeedEntry,
        ExtendedQueryTag,
        ExtendedQueryTagError,
        OperationFailedError,
        OperationReference,
        OperationState,
        OperationTimeoutError,
        QueryTagSpec,
    )
    from dicomkit.core.operations.azure_exchanges import AzureExchanges
    from dicomkit.core.operations.builder import (
        USER_AGENT,
        Operations,
        TimeoutInput,
        coerce_timeout,
        frame_list,
        patient_filter,
        rendered_params,
        with_headers,
    )
    from dicomkit.core.operations.dialect import (
        AZURE,
        DIALECTS,
        ORTHANC,
        STANDARD,
        Dialect,
        resolve_dialect,
    )
    from dicomkit.core.operations.exchange import (
        MAX_JSON_BYTES,
        BodyExchange,
        BulkDataExchange,
        Capabilities,
        CapabilitiesExchange,
        DeleteExchange,
        Exchange,
        FramesExchange,
        JsonArrayExchange,
        JsonObjectExchange,
        PartEventsExchange,
        PartsExchange,
        PartStreamExchange,
        RenderedExchange,
        RenderedImageExchange,
        SearchExchange,
        SearchPagesExchange,
        Step,
    )
    from dicomkit.core.operations.factory import Exchanges
    from dicomkit.core.operations.framebatch import Frame
    from dicomkit.core.operations.httpwarnings import (
        WarningValue,
        additional_results,
        parse_warnings,
        warning_texts,
    )
    from dicomkit.core.operations.options import (
        RenderOptions,
        RetrieveOptions,
        SearchAllOptions,
        SearchOptions,
        VendorOptions,
    )
    from dicomkit.core.operations.paging import (
        TRUNCATION_POLICIES,
        Pager,
        SearchResult,
        SearchTruncatedError,
        SearchTruncatedWarning,
    )
    from dicomkit.core.operations.parts import (
        PartAssembler,
        PartEvents,
        Sink,
        SupportsWrite,
        WrittenPart,
        writer_of,
    )

_HOME = {
    "ERROR_BODY_LIMIT": "answers",
    "apply_byte_range": "answers",
    "check_content_range": "answers",
    "distinct_values": "answers",
    "error_from_response": "answers",
    "parse_json_array": "answers",
    "parse_json_object": "answers",
    "raise_for_status": "answers",
    "reasons_from_body": "answers",
    "ChangeFeedEntry": "azure",
    "ExtendedQueryTag": "azure",
    "ExtendedQueryTagError": "azure",
    "OperationFailedError": "azure",
    "OperationReference": "azure",
    "OperationState": "azure",
    "OperationTimeoutError": "azure",
    "QueryTagSpec": "azure",
    "AzureExchanges": "azure_exchanges",
    "USER_AGENT": "builder",
    "Operations": "builder",
    "TimeoutInput": "builder",
    "coerce_timeout": "builder",
    "frame_list": "builder",
    "patient_filter": "builder",
    "rendered_params": "builder",
    "with_headers": "builder",
    "AZURE": "dialect",
    "DIALECTS": "dialect",
    "ORTHANC": "dialect",
    "STANDARD": "dialect",
    "Dialect": "dialect",
    "resolve_dialect": "dialect",
    "MAX_JSON_BYTES": "options",
    "BodyExchange": "exchange",
    "BulkDataExchange": "exchange",
    "Capabilities": "exchange",
    "CapabilitiesExchange": "exchange",
    "DeleteExchange": "exchange",
    "Exchange": "exchange",
    "FramesExchange": "exchange",
    "JsonArrayExchange": "exchange",
    "JsonObjectExchange": "exchange",
    "PartEventsExchange": "exchange",
    "PartsExchange": "exchange",
    "PartStreamExchange": "exchange",
    "RenderedExchange": "exchange",
    "RenderedImageExchange": "exchange",
    "SearchExchange": "exchange",
    "SearchPagesExchange": "exchange",
    "Step": "exchange",
    "Exchanges": "factory",
    "Frame": "framebatch",
    "WarningValue": "httpwarnings",
    "additional_results": "httpwarnings",
    "parse_warnings": "httpwarnings",
    "warning_texts": "httpwarnings",
    "RenderOptions": "options",
    "RetrieveOptions": "options",
    "SearchAllOptions": "options",
    "SearchOptions": "options",
    "VendorOptions": "options",
    "TRUNCATION_POLICIES": "paging",
    "Pager": "paging",
    "SearchResult": "paging",
    "SearchTruncatedError": "paging",
    "SearchTruncatedWarning": "paging",
    "PartAssembler": "parts",
    "PartEvents": "parts",
    "Sink": "parts",
    "SupportsWrite": "parts",
    "WrittenPart": "parts",
    "writer_of": "parts",
}
"""Where each name lives: a name is imported from its module on first use, so that a client's
construction loads the builder and the dialects without every exchange and answer reader."""


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_submodule(home), name)
    globals()[name] = value
    return value


def _submodule(name: str) -> ModuleType:
    """The submodule ``name``, imported now: each import is written out, so that the purity
    scan of the core (tests/core/test_purity.py) still sees every one."""
    match name:
        case "answers":
            from dicomkit.core.operations import answers

            return answers
        case "azure":
            from dicomkit.core.operations import azure

            return azure
        case "azure_exchanges":
            from dicomkit.core.operations import azure_exchanges

            return azure_exchanges
        case "builder":
            from dicomkit.core.operations import builder

            return builder
        case "dialect":
            from dicomkit.core.operations import dialect

            return dialect
        case "exchange":
            from dicomkit.core.operations import exchange

            return exchange
        case "factory":
            from dicomkit.core.operations import factory

            return factory
        case "framebatch":
            from dicomkit.core.operations import framebatch

            return framebatch
        case "httpwarnings":
            from dicomkit.core.operations import httpwarnings

            return httpwarnings
        case "options":
            from dicomkit.core.operations import options

            return options
        case "paging":
            from dicomkit.core.operations import paging

            return paging
        case "parts":
            from dicomkit.core.operations import parts

            return parts
        case _:
            raise AttributeError(f"module {__name__!r} has no submodule {name!r}")


__all__ = [
    "AZURE",
    "AzureExchanges",
    "ChangeFeedEntry",
    "ExtendedQueryTag",
    "ExtendedQueryTagError",
    "OperationFailedError",
    "OperationReference",
    "OperationState",
    "OperationTimeoutError",
    "QueryTagSpec",
    "BodyExchange",
    "DIALECTS",
    "ERROR_BODY_LIMIT",
    "ORTHANC",
    "STANDARD",
    "TRUNCATION_POLICIES",
    "USER_AGENT",
    "BulkDataExchange",
    "Capabilities",
    "CapabilitiesExchange",
    "DeleteExchange",
    "Dialect",
    "Exchange",
    "Exchanges",
    "Frame",
    "FramesExchange",
    "JsonArrayExchange",
    "JsonObjectExchange",
    "MAX_JSON_BYTES",
    "Operations",
    "PartAssembler",
    "PartEvents",
    "PartEventsExchange",
    "PartStreamExchange",
    "Pager",
    "PartsExchange",
    "RenderedExchange",
    "RenderOptions",
    "RenderedImageExchange",
    "RetrieveOptions",
    "SearchAllOptions",
    "SearchExchange",
    "SearchOptions",
    "SearchPagesExchange",
    "SearchResult",
    "SearchTruncatedError",
    "SearchTruncatedWarning",
    "Sink",
    "Step",
    "SupportsWrite",
    "TimeoutInput",
    "VendorOptions",
    "WarningValue",
    "WrittenPart",
    "additional_results",
    "apply_byte_range",
    "check_content_range",
    "coerce_timeout",
    "distinct_values",
    "error_from_response",
    "frame_list",
    "parse_json_array",
    "parse_json_object",
    "parse_warnings",
    "patient_filter",
    "raise_for_status",
    "reasons_from_body",
    "rendered_params",
    "resolve_dialect",
    "warning_texts",
    "with_headers",
    "writer_of",
]
