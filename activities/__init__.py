"""Activities: the only code the workflows call that touches the world.

`case` writes each step of a case (tasks opened and closed, escalations, notifications, the
audit trail, the read model) in one transaction, through the ports in `ports` that the worker
wires to PostgreSQL; `deadlines` computes due times so they are written into history. Every
write is idempotent, keyed by workflow id and a step key, so a retried activity never
duplicates a row.
"""
