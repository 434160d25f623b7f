"""Temporal workflows: `ReferralWorkflow` (`referral`) and the small parts it is composed of:
the pure case model (`case`), the writer that is the only code calling activities (`writer`),
the tasks and their escalation ladders (`tasks`, `ladder`), the activity calls' timeouts and
retries (`retries`), the transitions (`stages`,
`information`), the events the run loop handles (`events`) and the completion checks
(`validation`).

Workflow code is deterministic: time comes from `workflow.now()`, waiting from
`workflow.wait_condition(..., timeout=...)`, and every effect on the world goes through an
activity. Nothing here imports asyncpg or the store, even indirectly.
"""
