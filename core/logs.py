"""Logging, configured once per process: structlog key-value events, with stdlib records
(uvicorn, Temporal's `workflow.logger` and `activity.logger`) rendered by the same renderer.

Temporal's logger adapters attach a `temporal_workflow` or `temporal_activity` mapping to each
record's extras; `_lift_temporal_context` turns it into `workflow_id`, `run_id` and
`activity_type` keys so every line about a case can be found by its workflow id. Personal data
is never logged: callers log ids, stages and kinds only.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog
from opentelemetry import trace
from temporalio import activity, workflow

from core.settings import LogFormat, Settings

_TEMPORAL_KEYS = {
    "workflow_id": "workflow_id",
    "run_id": "run_id",
    "workflow_type": "workflow_type",
    "activity_id": "activity_id",
    "activity_type": "activity_type",
    "attempt": "attempt",
    "task_queue": "task_queue",
}


def _lift_temporal_context(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    event_dict.pop("color_message", None)  # uvicorn's coloured copy of the message
    for attr in ("temporal_workflow", "temporal_activity"):
        context = event_dict.pop(attr, None)
        if isinstance(context, dict):
            for key, name in _TEMPORAL_KEYS.items():
                if key in context and name not in event_dict:
                    event_dict[name] = context[key]
    return event_dict


def _add_trace_ids(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """The current span's trace and span ids (core/tracing.py), so one request's lines, from the
    API through the workflow to its activities, are found by one trace id."""
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event_dict.setdefault("trace_id", format(context.trace_id, "032x"))
        event_dict.setdefault("span_id", format(context.span_id, "016x"))
    return event_dict


def configure_logging(settings: Settings, *, stream: Any = None) -> None:
    """Route structlog and stdlib logging through one renderer. Safe to call more than once."""
    fmt = settings.resolved_log_format()
    renderer: Any = (
        structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
        if fmt is LogFormat.CONSOLE
        else structlog.processors.JSONRenderer()
    )
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _add_trace_ids,
    ]
    structlog.configure(
        processors=[
            *shared,
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder(), _lift_temporal_context],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for existing in list(root.handlers):
        if getattr(existing, "_frontdoor", False):
            root.removeHandler(existing)
    handler._frontdoor = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    # The context is lifted into keys above; repeating it in the message would be noise.
    workflow.logger.workflow_info_on_message = False
    activity.logger.activity_info_on_message = False
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        lib_logger = logging.getLogger(name)
        lib_logger.handlers.clear()
        lib_logger.propagate = True
    # pgserver narrates every command it runs at INFO; only its problems are worth a line.
    logging.getLogger("pgserver").setLevel(max(logging.WARNING, root.level))


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    """A structlog logger for a module."""
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger
