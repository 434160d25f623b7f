"""PostgreSQL through asyncpg: the connection pool, the numbered SQL migrations and their runner,
one query module per table, named for it (`referral`, `task`, `agency_check`, `audit_event`,
`access_event`, `notification`, `directory_entry`, `case_entry`, `legal_hold`), disposal across
them (`disposal`), the performance measures read over several of them (`performance/`), and
`case_record`, the case store the worker wires into the activities.

Plain SQL with `$n` parameters. Transactions are opened by the caller at the service boundary;
query functions take a connection.
"""
