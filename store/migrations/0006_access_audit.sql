-- Who looked at or changed what, through the API: every authenticated request to a case, a task,
-- the lists or the performance pages. Append-only like audit_event. No personal data: ids,
-- the route, the outcome and where the request came from.
CREATE TABLE access_event (
    access_id    bigserial PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT now(),
    user_id      text NOT NULL,
    roles        text[] NOT NULL,
    agency       text,
    method       text NOT NULL,
    route        text NOT NULL,
    referral_id  uuid,
    task_id      uuid,
    status       integer NOT NULL,
    client_ip    text
);

CREATE INDEX access_event_by_referral ON access_event (referral_id, at) WHERE referral_id IS NOT NULL;
CREATE INDEX access_event_by_task ON access_event (task_id, at) WHERE task_id IS NOT NULL;
CREATE INDEX access_event_by_user ON access_event (user_id, at);

CREATE FUNCTION refuse_change_to_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP;
END;
$$;

CREATE TRIGGER access_event_append_only
    BEFORE UPDATE OR DELETE ON access_event
    FOR EACH ROW EXECUTE FUNCTION refuse_change_to_append_only();

REVOKE UPDATE, DELETE, TRUNCATE ON access_event FROM PUBLIC;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_event FROM PUBLIC;
