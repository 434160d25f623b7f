"""PostgreSQL through asyncpg: the connection pool, the numbered SQL migrations and their runner,
and one query module per table or aggregate (task inbox, case read model, audit trail, outbox).

Transactions are opened by the caller at the service boundary; query functions take a connection.
"""
