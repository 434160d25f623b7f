"""Activities: the only code the workflows call that touches the world.

They open and close human tasks in the inbox, write the case read model and the append-only
audit trail, queue notifications, and compute deadlines so the result is written into history.
Every write is idempotent, keyed by workflow id and a step key, so a retried activity never
duplicates a row.
"""
