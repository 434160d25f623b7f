-- The case record: everything known and decided about a child, kept in PostgreSQL for as long as
-- the retention schedule says, long after Temporal has deleted the workflow's history.
--
-- Each entry is one thing recorded about a case (the intake as taken in, a task's result as
-- submitted, an item of new information, an escalation, a correction of an earlier entry), keyed
-- by (workflow_id, step_key) so a retried activity writes it once. What staff wrote is sealed in
-- the application (AES-256-GCM, the key's id beside it, the row's workflow id and step key bound
-- in as associated data); only ids, kinds, actors and instants are in clear.
CREATE TABLE case_entry (
    entry_id     bigserial PRIMARY KEY,
    referral_id  uuid NOT NULL,
    workflow_id  text NOT NULL,
    step_key     text NOT NULL,
    kind         text NOT NULL,
    task_id      uuid,
    actor        text,
    occurred_at  timestamptz NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    -- A correction names the entry it corrects; the corrected entry stays as it was.
    corrects     bigint REFERENCES case_entry (entry_id),
    key_id       text NOT NULL,
    body         bytea NOT NULL,
    UNIQUE (workflow_id, step_key)
);

CREATE INDEX case_entry_by_referral ON case_entry (referral_id, occurred_at, entry_id);
CREATE INDEX case_entry_by_key ON case_entry (key_id);

-- History is append-only: an entry is never changed. Disposal (frontdoor records dispose) and key
-- rotation (re-sealing under the current key) are the only writes after insert, and each says so
-- for its own transaction with SET LOCAL frontdoor.record_write.
CREATE FUNCTION case_entry_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('frontdoor.record_write', true) = 'dispose' THEN
        RETURN OLD;
    END IF;
    IF TG_OP = 'UPDATE' AND current_setting('frontdoor.record_write', true) = 'reseal'
       AND (NEW.entry_id, NEW.referral_id, NEW.workflow_id, NEW.step_key, NEW.kind, NEW.task_id,
            NEW.actor, NEW.occurred_at, NEW.recorded_at, NEW.corrects)
           IS NOT DISTINCT FROM
           (OLD.entry_id, OLD.referral_id, OLD.workflow_id, OLD.step_key, OLD.kind, OLD.task_id,
            OLD.actor, OLD.occurred_at, OLD.recorded_at, OLD.corrects) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'case_entry is append-only: % is not allowed', TG_OP;
END;
$$;

CREATE TRIGGER case_entry_append_only
    BEFORE UPDATE OR DELETE ON case_entry
    FOR EACH ROW EXECUTE FUNCTION case_entry_guard();

-- A task keeps what its deadline counts from and which attempt it is (a visit tried again), so
-- the case reads back whole from PostgreSQL once the workflow has left Temporal.
ALTER TABLE task
    ADD COLUMN counts_from timestamptz,
    ADD COLUMN attempt     integer NOT NULL DEFAULT 1;

-- Retention: the date from which the child is an adult (18th birthday; estimated where only an
-- age or an expected due date was known), from which `retain_until` is computed with the
-- schedule in settings, and when the record was disposed of.
ALTER TABLE referral
    ADD COLUMN child_adult_on date,
    ADD COLUMN disposed_at    timestamptz;

-- Legal holds stop disposal: of one referral, or of every referral of one child (by the child's
-- keyed identifier). A hold is lifted, never deleted, so who held what and why stays on record.
CREATE TABLE legal_hold (
    hold_id      bigserial PRIMARY KEY,
    referral_id  uuid,
    child_key    text,
    reason       text NOT NULL,
    placed_by    text NOT NULL,
    placed_at    timestamptz NOT NULL DEFAULT now(),
    lifted_by    text,
    lifted_at    timestamptz,
    CHECK ((referral_id IS NULL) <> (child_key IS NULL))
);

CREATE INDEX legal_hold_active_referral ON legal_hold (referral_id) WHERE lifted_at IS NULL;
CREATE INDEX legal_hold_active_child ON legal_hold (child_key) WHERE lifted_at IS NULL;
