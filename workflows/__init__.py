"""Temporal workflows: `ReferralWorkflow` and the helpers it is made of (stage waits, escalation
ladders), plus the search attributes they publish.

Workflow code is deterministic: time comes from `workflow.now()`, waiting from
`workflow.wait_condition(..., timeout=...)`, and every effect on the world goes through an activity.
"""
