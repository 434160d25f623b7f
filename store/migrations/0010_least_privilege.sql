-- Least privilege: the worker, the API, the notifier and the engineers' commands connect as a
-- login role that is a member of `frontdoor_app`, which holds only what they need; the schema's
-- owner (who runs these migrations) keeps ALTER, DROP, TRUNCATE and trigger control to itself.
-- So the app's credentials cannot turn off the append-only triggers (ALTER TABLE needs the
-- owner), nor delete or rewrite the audit trails.
--
-- Roles belong to the server, not to a database: another database on the same server (a test
-- database, a second environment) may have made `frontdoor_app` already. The login role, with
-- its password, is made by whoever provisions the database (`frontdoor migrate` makes the one
-- FRONTDOOR_DATABASE_URL names when it is missing; `frontdoor dev` and docker-compose.yml use it).
DO $$
BEGIN
    CREATE ROLE frontdoor_app NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$;

-- Only the owner creates objects (PostgreSQL 15 and later already refuse PUBLIC this).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO frontdoor_app;

-- The tables the processes keep up to date: read, add, change, remove rows; nothing else (no
-- TRUNCATE, REFERENCES or TRIGGER). case_entry's DELETE and UPDATE pass its trigger only for
-- disposal and re-sealing (the session setting `frontdoor.record_write`, 0007).
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO frontdoor_app;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO frontdoor_app;

-- The audit trails are append-only for the app by grant as well as by trigger.
REVOKE UPDATE, DELETE ON audit_event, access_event FROM frontdoor_app;

-- Which migrations ran is the owner's business.
REVOKE ALL ON schema_migration FROM frontdoor_app;

-- Tables and sequences later migrations create (as the owner) get the same grants; a later
-- migration adding an append-only table revokes UPDATE and DELETE on it as above.
ALTER DEFAULT PRIVILEGES IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO frontdoor_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE ON SEQUENCES TO frontdoor_app;
