"""Variants of ReferralWorkflow under its own name, as a deployment would change it: a change
made without a patch (breaks running cases), the same change behind `workflow.patched` (safe),
runs that hand over early (continue-as-new), and buggy builds that fail cases (fixed later,
then the cases are reset)."""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.case import ReferralSummary
    from domain.policy import Step
    from domain.referral import ReferralInput
    from domain.tasks import ScreeningResult
    from workflows.referral import ReferralWorkflow
    from workflows.stages import Stages


class ReferrerToldDueAtScreening(Stages):
    """Computes the referrer-told deadline at screening too: a new command in old histories."""

    async def on_screening(self, result: ScreeningResult) -> None:
        await self.writer.due(Step.referrer_feedback, workflow.now())
        await super().on_screening(result)


class ReferrerToldDueAtScreeningPatched(Stages):
    """The same change behind a patch: old histories take the old path on replay."""

    async def on_screening(self, result: ScreeningResult) -> None:
        if workflow.patched("referrer-told-due-at-screening"):
            await self.writer.due(Step.referrer_feedback, workflow.now())
        await super().on_screening(result)


@workflow.defn(name="ReferralWorkflow")
class UnpatchedChange(ReferralWorkflow):
    stages_type = ReferrerToldDueAtScreening

    @workflow.run
    async def run(self, params: ReferralInput) -> ReferralSummary:
        return await super().run(params)


@workflow.defn(name="ReferralWorkflow")
class PatchedChange(ReferralWorkflow):
    stages_type = ReferrerToldDueAtScreeningPatched

    @workflow.run
    async def run(self, params: ReferralInput) -> ReferralSummary:
        return await super().run(params)


@workflow.defn(name="ReferralWorkflow")
class ShortRuns(ReferralWorkflow):
    """Hands the case to a new run after four updates, to see a hand-over happen."""

    updates_per_run = 4

    @workflow.run
    async def run(self, params: ReferralInput) -> ReferralSummary:
        return await super().run(params)


@workflow.defn(name="ReferralWorkflow")
class BuggyBuild(ReferralWorkflow):
    """A build with a bug that fails every case before its screening task opens."""

    @workflow.run
    async def run(self, params: ReferralInput) -> ReferralSummary:
        raise ApplicationError("bug: the screening task cannot be opened", non_retryable=True)


@workflow.defn(name="ReferralWorkflow")
class CrashingBuild(ReferralWorkflow):
    """A build whose workflow code throws: the workflow task fails and is retried, forever."""

    @workflow.run
    async def run(self, params: ReferralInput) -> ReferralSummary:
        raise RuntimeError("bug: cannot read the policy")
