-- Case tracking: the read model follows the workflow's CaseProgress, tasks keep who closed them and
-- a non-personal summary of the result, and each agency check gets a row for the per-agency
-- timeliness measure. Written only by activities (activities/case.py), keyed so retries are no-ops.

-- `revision` only grows: an activity that finishes late never overwrites newer progress.
-- `deadlines` and `milestones` are copies of CaseProgress's dicts (every key, including ones with
-- no typed column); the typed *_due_at / *_at columns from 0001 stay filled from them so reports
-- can index and compare instants without unpacking JSON.
ALTER TABLE referral
    ADD COLUMN revision          integer NOT NULL DEFAULT 0,
    ADD COLUMN strategy_outcome  text,
    ADD COLUMN exploitation_risk text,
    ADD COLUMN deadlines         jsonb NOT NULL DEFAULT '{}'::jsonb,
    ADD COLUMN milestones        jsonb NOT NULL DEFAULT '{}'::jsonb;

-- Listing open cases by stage, oldest first, and by escalation for managers' dashboards.
CREATE INDEX referral_open_by_stage ON referral (stage, received_at) WHERE closed_at IS NULL;
CREATE INDEX referral_open_by_escalation ON referral (escalation_level, received_at)
    WHERE closed_at IS NULL AND escalation_level > 0;

-- Overdue listings: a step is overdue while its milestone is missing and its due time has passed,
-- so each partial index holds only the cases still waiting on that step.
CREATE INDEX referral_screening_pending ON referral (screening_due_at)
    WHERE screened_at IS NULL AND closed_at IS NULL;
CREATE INDEX referral_decision_pending ON referral (decision_due_at)
    WHERE decided_at IS NULL AND closed_at IS NULL;
CREATE INDEX referral_referrer_told_pending ON referral (referrer_told_due_at)
    WHERE referrer_told_at IS NULL AND referrer_told_due_at IS NOT NULL;
CREATE INDEX referral_strategy_pending ON referral (strategy_due_at)
    WHERE strategy_held_at IS NULL AND strategy_due_at IS NOT NULL AND closed_at IS NULL;
CREATE INDEX referral_visit_pending ON referral (visit_due_at)
    WHERE child_seen_at IS NULL AND visit_due_at IS NOT NULL AND closed_at IS NULL;

-- Who closed the task (the completing member of staff, or the system for a cancellation) and the
-- codes and flags of its result (domain.case.public_summary), never free text about the family.
ALTER TABLE task
    ADD COLUMN completed_by text,
    ADD COLUMN summary      jsonb NOT NULL DEFAULT '{}'::jsonb;

-- One row per agency check task. `on_time` is whether the agency answered by the due time:
-- true/false for a returned check, false for one closed unanswered after its due time, and null
-- for one cancelled unanswered before it was due (nothing to measure).
CREATE TABLE agency_check (
    task_id              uuid PRIMARY KEY REFERENCES task (task_id),
    workflow_id          text NOT NULL,
    referral_id          uuid NOT NULL,
    agency               text NOT NULL,
    requested_at         timestamptz NOT NULL,
    due_at               timestamptz NOT NULL,
    returned_at          timestamptz,
    on_time              boolean,
    known_to_agency      boolean,
    risk_indicator_count integer CHECK (risk_indicator_count >= 0),
    status               text NOT NULL DEFAULT 'open'
                         CHECK (status IN ('open', 'completed', 'cancelled', 'superseded'))
);

CREATE INDEX agency_check_by_agency ON agency_check (agency, requested_at);
CREATE INDEX agency_check_by_referral ON agency_check (referral_id);
