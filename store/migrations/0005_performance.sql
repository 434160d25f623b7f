-- The performance framework (store/performance.py, docs/performance-framework.md): what lets
-- every measure read a year of a national-scale table in well under a second.
--
-- PostgreSQL computes the generated columns below on every insert and update, so the activities
-- that write these tables (activities/case.py) need not know they exist.

-- Periods and weeks are London days: keep the London wall-clock time of receipt, its week (the
-- Monday), and the time to decision in whole minutes, so queries neither convert time zones per
-- row nor sort intervals.
ALTER TABLE referral
    ADD COLUMN received_local timestamp
        GENERATED ALWAYS AS (received_at AT TIME ZONE 'Europe/London') STORED,
    ADD COLUMN received_week date
        GENERATED ALWAYS AS (date_trunc('week', received_at AT TIME ZONE 'Europe/London')::date)
        STORED,
    ADD COLUMN decision_minutes integer
        GENERATED ALWAYS AS (floor(date_part('epoch', decided_at - received_at) / 60)::integer)
        STORED;

-- Every referral measure reads a range of weeks and only these columns, so this one covering
-- index answers them all with index-only scans (the heap rows carry jsonb and are far wider), in
-- week order, so weekly percentiles need no sort.
CREATE INDEX referral_measures ON referral (received_week, received_local)
    INCLUDE (received_at, team, decision_due_at, decided_at, decision_minutes, closed_at,
             visit_due_at, child_seen_at, referrer_told_due_at, referrer_told_at, re_referral,
             outcome, strategy_outcome);

-- Agency checks and visits are reported by when their referral was received. The referral's
-- received_at is copied onto each task and agency check as it is inserted (it never changes
-- afterwards), so those measures scan one index instead of joining millions of rows to their
-- referrals.
ALTER TABLE task ADD COLUMN referral_received_at timestamptz;
ALTER TABLE agency_check ADD COLUMN referral_received_at timestamptz;

UPDATE task t SET referral_received_at = r.received_at
FROM referral r WHERE r.referral_id = t.referral_id;
UPDATE agency_check a SET referral_received_at = r.received_at
FROM referral r WHERE r.referral_id = a.referral_id;

CREATE FUNCTION copy_referral_received_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.referral_received_at IS NULL THEN
        SELECT received_at INTO NEW.referral_received_at
        FROM referral WHERE referral_id = NEW.referral_id;
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER task_referral_received_at
    BEFORE INSERT ON task
    FOR EACH ROW EXECUTE FUNCTION copy_referral_received_at();
CREATE TRIGGER agency_check_referral_received_at
    BEFORE INSERT ON agency_check
    FOR EACH ROW EXECUTE FUNCTION copy_referral_received_at();

-- Generated columns are computed after BEFORE triggers, so these see the copied instant.
ALTER TABLE agency_check
    ADD COLUMN received_week date
        GENERATED ALWAYS AS (
            date_trunc('week', referral_received_at AT TIME ZONE 'Europe/London')::date) STORED,
    ADD COLUMN return_minutes integer
        GENERATED ALWAYS AS (floor(date_part('epoch', returned_at - requested_at) / 60)::integer)
        STORED;

CREATE INDEX agency_check_measures ON agency_check (referral_received_at)
    INCLUDE (received_week, agency, status, on_time, due_at);
-- The median time to return reads only answered checks: a narrower index, half the pages.
CREATE INDEX agency_check_returns ON agency_check (referral_received_at)
    INCLUDE (agency, return_minutes) WHERE return_minutes IS NOT NULL;

-- Visits where the child was not seen are few; this partial index holds only them.
CREATE INDEX task_visit_not_seen ON task (referral_received_at) INCLUDE (referral_id)
    WHERE kind = 'visit' AND summary ->> 'child_seen' = 'false';
