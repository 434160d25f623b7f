-- The tables PostgreSQL keeps for Front Door (process state itself lives in Temporal):
-- the case read model, the task inbox, the append-only audit trail and the notification outbox.
-- Rows written by activities carry (workflow_id, step_key) so a retried activity never duplicates one.

CREATE TABLE referral (
    referral_id        uuid PRIMARY KEY,
    workflow_id        text NOT NULL UNIQUE,
    policy_version     text NOT NULL,
    received_at        timestamptz NOT NULL,
    source_code        text NOT NULL,
    team               text,
    stage              text NOT NULL,
    rag                text CHECK (rag IN ('red', 'amber', 'green')),
    immediate_risk     boolean NOT NULL DEFAULT false,
    re_referral        boolean NOT NULL DEFAULT false,
    -- Keys for finding earlier referrals of the same child; never shown in visibility or logs.
    child_nhs_number   text,
    child_match_key    text,
    escalation_level   integer NOT NULL DEFAULT 0,
    outcome            text,
    screening_due_at   timestamptz,
    screened_at        timestamptz,
    checks_due_at      timestamptz,
    decision_due_at    timestamptz,
    decided_at         timestamptz,
    referrer_told_due_at timestamptz,
    referrer_told_at   timestamptz,
    strategy_due_at    timestamptz,
    strategy_held_at   timestamptz,
    visit_due_at       timestamptz,
    child_seen_at      timestamptz,
    closed_at          timestamptz,
    updated_at         timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX referral_received_at ON referral (received_at);
CREATE INDEX referral_child_nhs ON referral (child_nhs_number, received_at)
    WHERE child_nhs_number IS NOT NULL;
CREATE INDEX referral_child_match ON referral (child_match_key, received_at)
    WHERE child_match_key IS NOT NULL;

CREATE TABLE task (
    task_id            uuid PRIMARY KEY,
    referral_id        uuid NOT NULL,
    workflow_id        text NOT NULL,
    step_key           text NOT NULL,
    kind               text NOT NULL,
    team               text NOT NULL,
    agency             text,
    status             text NOT NULL DEFAULT 'open'
                       CHECK (status IN ('open', 'completed', 'cancelled', 'superseded')),
    assignee           text,
    due_at             timestamptz NOT NULL,
    escalation_level   integer NOT NULL DEFAULT 0,
    opened_at          timestamptz NOT NULL,
    closed_at          timestamptz,
    UNIQUE (workflow_id, step_key)
);

CREATE INDEX task_open_by_due ON task (due_at) WHERE status = 'open';
CREATE INDEX task_open_by_team ON task (team, due_at) WHERE status = 'open';
CREATE INDEX task_by_referral ON task (referral_id);

CREATE TABLE audit_event (
    event_id           bigserial PRIMARY KEY,
    workflow_id        text NOT NULL,
    step_key           text NOT NULL,
    kind               text NOT NULL,
    actor              text,
    occurred_at        timestamptz NOT NULL,
    details            jsonb NOT NULL DEFAULT '{}'::jsonb,
    recorded_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (workflow_id, step_key)
);

CREATE INDEX audit_event_by_workflow ON audit_event (workflow_id, occurred_at);

-- The audit trail is append-only: no update or delete, whoever asks.
CREATE FUNCTION audit_event_is_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_event is append-only: % is not allowed', TG_OP;
END;
$$;

CREATE TRIGGER audit_event_append_only
    BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_event_is_append_only();

CREATE TABLE notification (
    notification_id    uuid PRIMARY KEY,
    workflow_id        text NOT NULL,
    step_key           text NOT NULL,
    kind               text NOT NULL,
    recipient_team     text NOT NULL,
    recipient_role     text,
    payload            jsonb NOT NULL DEFAULT '{}'::jsonb,
    status             text NOT NULL DEFAULT 'pending'
                       CHECK (status IN ('pending', 'sent', 'failed')),
    attempts           integer NOT NULL DEFAULT 0,
    created_at         timestamptz NOT NULL DEFAULT now(),
    sent_at            timestamptz,
    UNIQUE (workflow_id, step_key)
);

CREATE INDEX notification_pending ON notification (created_at) WHERE status = 'pending';
