"""Temporal workflows: `ReferralWorkflow` (`referral`) and the small parts it is composed of:
the pure case model (`case`), the writer that is the only code calling activities (`writer`)
with its timeouts and retry policies (`retries`), the tasks and their escalation ladders
(`tasks`, `ladder`), the transitions (`stages`, `information`), the events the run loop
handles (`events`) and the completion checks (`validation`).

Workflow code is deterministic: time comes from `workflow.now()`, waiting from
`workflow.wait_condition(..., timeout=...)`, and every effect on the world goes through an
activity. Nothing here imports asyncpg or the store, even indirectly. What staff wrote goes to
the case record in PostgreSQL with the step's writes; the workflow keeps ids, codes and
instants, and continues as new long before Temporal's limits.
"""
