"""PostgreSQL through asyncpg: the connection pool, the numbered SQL migrations and their runner,
one query module per table, named for it (`referral`, `task`, `agency_check`, `audit_event`,
`access_event`, `notification`, `directory_entry`), the performance measures read over several
of them (`performance/`), and `case_record`, the case store the worker wires into the activities.

Plain SQL with `$n` parameters. Transactions are opened by the caller at the service boundary;
query functions take a connection.
"""
