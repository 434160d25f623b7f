"""Pure, deterministic domain code: pydantic models of referrals, tasks and decisions, the
timescale and escalation policies (data, versioned), and the working-day calendar.

Nothing here does I/O or reads the clock, so every module is safe to import inside the Temporal
workflow sandbox and is passed through it rather than re-imported on every workflow run.
"""
