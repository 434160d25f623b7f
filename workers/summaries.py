"""Summaries of the case's activities, readable in Temporal's UI without the codec: which writes
a step sends, which deadlines it computes. Codes only (write kinds, steps), never case data, so
they go out as `PublicText`, which the codec leaves unsealed (core/public.py).

Set by a worker interceptor rather than at each call: the workflow's writer stays as it is, and a
summary changes no command, so replays are unaffected.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from temporalio.worker import (
    Interceptor,
    StartActivityInput,
    StartLocalActivityInput,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
    WorkflowOutboundInterceptor,
)
from temporalio.workflow import ActivityHandle

from core.public import PublicText
from domain.records import ApplyWritesInput, ComputeDuesInput


def activity_summary(activity: str, args: Sequence[Any]) -> PublicText:
    """What an activity call does, in codes: `writes: open_task, notify`, `deadlines: screening`,
    else the activity's name."""
    arg = args[0] if len(args) == 1 else None
    if isinstance(arg, ApplyWritesInput):
        return PublicText("writes: " + ", ".join(write.write for write in arg.writes))
    if isinstance(arg, ComputeDuesInput):
        return PublicText("deadlines: " + ", ".join(str(r.step.value) for r in arg.requests))
    return PublicText(activity.replace("_", " "))


class _Outbound(WorkflowOutboundInterceptor):
    def start_activity(self, input: StartActivityInput) -> ActivityHandle[Any]:
        if input.summary is None:
            input.summary = activity_summary(input.activity, input.args)
        return super().start_activity(input)

    def start_local_activity(self, input: StartLocalActivityInput) -> ActivityHandle[Any]:
        if input.summary is None:
            input.summary = activity_summary(input.activity, input.args)
        return super().start_local_activity(input)


class _Inbound(WorkflowInboundInterceptor):
    def init(self, outbound: WorkflowOutboundInterceptor) -> None:
        super().init(_Outbound(outbound))


class ActivitySummaries(Interceptor):
    """The worker interceptor giving every activity call of a case its summary."""

    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor]:
        return _Inbound
