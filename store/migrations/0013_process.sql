-- The process as the guidance sets it (issue 15): every intake is a contact, a MASH decision
-- closes it or makes it a referral (`referral_at`), the referral's response is decided within one
-- working day, the referrer is acknowledged and told the outcome by staff, and assessment and
-- section 47 cases are handed over with the assessment and conference clocks after the visit.
-- The typed columns follow domain.case.Deadline and Milestone (store/referral.py maps them); the
-- performance measures (store/performance/, docs/performance-framework.md) read them.

-- Renamed keys keep their columns, under the new names: the contact's decision is the MASH
-- decision, and the referrer's due time is the feedback's (the milestone `referrer_told` and its
-- column `referrer_told_at` keep their name).
DROP INDEX referral_measures;
ALTER TABLE referral DROP COLUMN decision_minutes;
ALTER TABLE referral RENAME COLUMN decision_due_at TO mash_decision_due_at;
ALTER TABLE referral RENAME COLUMN decided_at TO mash_decided_at;
ALTER TABLE referral RENAME COLUMN referrer_told_due_at TO referrer_feedback_due_at;
ALTER INDEX referral_decision_pending RENAME TO referral_mash_decision_pending;
ALTER INDEX referral_referrer_told_pending RENAME TO referral_referrer_feedback_pending;

ALTER TABLE referral
    ADD COLUMN recorded_at               timestamptz,
    ADD COLUMN referral_at               timestamptz,
    ADD COLUMN section_47_outcome        text,
    ADD COLUMN assessment_outcome        text,
    ADD COLUMN conference_outcome        text,
    ADD COLUMN referral_decision_due_at  timestamptz,
    ADD COLUMN acknowledgement_due_at    timestamptz,
    ADD COLUMN handover_due_at           timestamptz,
    ADD COLUMN assessment_due_at         timestamptz,
    ADD COLUMN icpc_due_at               timestamptz,
    ADD COLUMN referral_decided_at       timestamptz,
    ADD COLUMN acknowledged_at           timestamptz,
    ADD COLUMN handed_over_at            timestamptz,
    ADD COLUMN assessment_completed_at   timestamptz,
    ADD COLUMN conference_held_at        timestamptz;

-- Rows written before this migration stamped `referrer_told` when the workflow queued an email,
-- not when anyone told the referrer: their feedback due time leaves the typed column (the jsonb
-- copy keeps it for the case record), so the measure, which counts only what staff recorded
-- doing, does not count them.
UPDATE referral SET referrer_feedback_due_at = NULL WHERE deadlines ? 'referrer_told';

-- Rows written before this migration, under the old keys: rename the keys of the jsonb copies
-- (so domain.case.Deadline and Milestone read them), and read the old single decision as the new
-- process would have recorded it: an outcome that makes a referral (assessment, strategy
-- discussion, immediate protection) made the referral and decided its response at that instant;
-- nfa, advice and early help closed a contact. When such a contact was recorded is not known
-- (`recorded_at` stays NULL, and the recording gap does not count it).
UPDATE referral SET
    deadlines = (deadlines - 'decision' - 'referrer_told') || jsonb_strip_nulls(jsonb_build_object(
        'mash_decision', deadlines -> 'decision',
        'referrer_feedback', deadlines -> 'referrer_told')),
    milestones = (milestones - 'decided')
        || jsonb_strip_nulls(jsonb_build_object('mash_decided', milestones -> 'decided'))
WHERE deadlines ?| ARRAY['decision', 'referrer_told'] OR milestones ? 'decided';

UPDATE referral SET
    referral_at = mash_decided_at,
    referral_decided_at = mash_decided_at,
    milestones = milestones || jsonb_build_object(
        'referred', coalesce(milestones -> 'mash_decided', to_jsonb(mash_decided_at)),
        'referral_decided', coalesce(milestones -> 'mash_decided', to_jsonb(mash_decided_at)))
WHERE referral_at IS NULL AND mash_decided_at IS NOT NULL
  AND outcome IN ('assessment', 'strategy_discussion', 'immediate_protection');

-- As in 0005, computed by PostgreSQL on every write: the London day of the referral (the row of
-- the one-working-day table its decision is due by), the time from referral to the decision on
-- the response and the contact-recording gap, in whole minutes.
ALTER TABLE referral
    ADD COLUMN referral_day date
        GENERATED ALWAYS AS ((referral_at AT TIME ZONE 'Europe/London')::date) STORED,
    ADD COLUMN referral_decision_minutes integer
        GENERATED ALWAYS AS (
            floor(date_part('epoch', referral_decided_at - referral_at) / 60)::integer) STORED,
    ADD COLUMN recording_minutes integer
        GENERATED ALWAYS AS (floor(date_part('epoch', recorded_at - received_at) / 60)::integer)
        STORED;

-- The covering index every referral measure reads (0005), with the new process's columns.
CREATE INDEX referral_measures ON referral (received_week, received_local)
    INCLUDE (received_at, team, closed_at, outcome, strategy_outcome, section_47_outcome,
             referral_at, referral_day, mash_decision_due_at, mash_decided_at,
             referral_decided_at, referral_decision_minutes, recording_minutes,
             acknowledgement_due_at, acknowledged_at, referrer_feedback_due_at, referrer_told_at,
             visit_due_at, child_seen_at, assessment_due_at, assessment_completed_at, icpc_due_at,
             conference_held_at);

-- Re-referrals: earlier referrals of the same child by keyed identifier, by when they closed.
CREATE INDEX referral_child_nhs_closed ON referral (child_nhs_number, closed_at)
    WHERE referral_at IS NOT NULL AND child_nhs_number IS NOT NULL;
CREATE INDEX referral_child_match_closed ON referral (child_match_key, closed_at)
    WHERE referral_at IS NOT NULL AND child_match_key IS NOT NULL;

-- Steps still waiting, as 0002 has for the others.
CREATE INDEX referral_referral_decision_pending ON referral (referral_decision_due_at)
    WHERE referral_decided_at IS NULL AND referral_decision_due_at IS NOT NULL
      AND closed_at IS NULL;
CREATE INDEX referral_acknowledgement_pending ON referral (acknowledgement_due_at)
    WHERE acknowledged_at IS NULL AND acknowledgement_due_at IS NOT NULL;
