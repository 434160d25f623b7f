"""Variants of ReferralWorkflow under its own name, as a deployment would change it: a change
made without a patch (breaks running cases), the same change behind `workflow.patched` (safe),
and a buggy build that fails cases (fixed later, then the cases are reset)."""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.case import ReferralSummary
    from domain.policy import Step
    from domain.referral import ReferralInput
    from domain.tasks import ScreeningResult
    from workflows.referral import ReferralWorkflow


@workflow.defn(name="ReferralWorkflow")
class UnpatchedChange(ReferralWorkflow):
    """Computes the referrer-told deadline at screening too: a new command in old histories."""

    @workflow.run
    async def run(self, params: ReferralInput) -> ReferralSummary:
        return await super().run(params)

    async def _on_screening(self, result: ScreeningResult) -> None:
        await self._due(Step.referrer_told, workflow.now())
        await super()._on_screening(result)


@workflow.defn(name="ReferralWorkflow")
class PatchedChange(ReferralWorkflow):
    """The same change behind a patch: old histories take the old path on replay."""

    @workflow.run
    async def run(self, params: ReferralInput) -> ReferralSummary:
        return await super().run(params)

    async def _on_screening(self, result: ScreeningResult) -> None:
        if workflow.patched("referrer-told-due-at-screening"):
            await self._due(Step.referrer_told, workflow.now())
        await super()._on_screening(result)


@workflow.defn(name="ReferralWorkflow")
class BuggyBuild(ReferralWorkflow):
    """A build with a bug that fails every case before its screening task opens."""

    @workflow.run
    async def run(self, params: ReferralInput) -> ReferralSummary:
        return await super().run(params)

    async def _open(self, *args: object, **kwargs: object) -> str:
        raise ApplicationError("bug: the screening task cannot be opened", non_retryable=True)


@workflow.defn(name="ReferralWorkflow")
class CrashingBuild(ReferralWorkflow):
    """A build whose workflow code throws: the workflow task fails and is retried, forever."""

    @workflow.run
    async def run(self, params: ReferralInput) -> ReferralSummary:
        raise RuntimeError("bug: cannot read the policy")
