"""The synthetic case record `bench/record_read.py` reads from: N closed referrals with their
tasks, case record entries and audit trail, filled in SQL with generate_series.

Filler entries' bodies are bytes of the size of a sealed body (they are never opened); the
sampled referrals get none here: the benchmark writes theirs through the real sealing code.
"""

from __future__ import annotations

# $1 now, $2 days, $3 referrals, $4 children. Every case closed a fortnight or more ago; a
# child has 1.25 referrals on average (some of them within a year of another).
FILL_REFERRALS = """
WITH g AS (
    SELECT i, $1::timestamptz - interval '14 days'
                  - ($2::float8 * ($3 - i) / $3) * interval '1 day' AS received_at,
           random() AS u_rag, random() AS u_out, random() AS u_str, random() AS u_dec,
           random() AS u_age, 1 + floor(random() * $4)::int AS child
    FROM generate_series(1, $3) AS i
), c AS (
    SELECT g.*,
           CASE WHEN u_rag < .15 OR u_out >= .97 THEN 'red' WHEN u_rag < .60 THEN 'amber'
                ELSE 'green' END AS rag,
           CASE WHEN u_out < .30 THEN 'nfa' WHEN u_out < .50 THEN 'advice'
                WHEN u_out < .70 THEN 'early_help' WHEN u_out < .88 THEN 'assessment'
                WHEN u_out < .97 THEN 'strategy_discussion' ELSE 'immediate_protection' END
               AS outcome,
           received_at + interval '1 hour' * (0.2 + u_rag) AS screened_at,
           received_at + interval '1 hour' * (3 + 40 * u_dec) AS decided_at
    FROM g
), s AS (
    SELECT c.*,
           CASE WHEN outcome IN ('strategy_discussion', 'immediate_protection')
                THEN CASE WHEN u_str < .60 THEN 'section_47'
                          WHEN u_str < .85 THEN 'assessment' ELSE 'nfa' END END AS strat,
           CASE WHEN outcome IN ('strategy_discussion', 'immediate_protection')
                THEN decided_at + interval '20 hours' * u_str END AS held_at
    FROM c
), v AS (
    SELECT s.*,
           CASE WHEN outcome = 'assessment' THEN decided_at + interval '7 days'
                WHEN strat IN ('section_47', 'assessment') THEN held_at + interval '24 hours'
           END AS visit_due_at
    FROM s
), w AS (
    SELECT v.*, visit_due_at - interval '20 hours' * u_dec AS seen_at,
           coalesce(visit_due_at - interval '20 hours' * u_dec, held_at, decided_at)
               + interval '2 minutes' AS closed_at
    FROM v
)
INSERT INTO referral (
    referral_id, workflow_id, policy_version, received_at, source_code, stage, rag,
    immediate_risk, re_referral, escalation_level, outcome, strategy_outcome, screening_due_at,
    screened_at, checks_due_at, mash_decision_due_at, mash_decided_at, referrer_feedback_due_at,
    referrer_told_at, strategy_due_at, strategy_held_at, visit_due_at, child_seen_at, closed_at,
    revision, deadlines, milestones, child_nhs_number, child_match_key, child_adult_on)
SELECT md5('r' || i)::uuid, 'referral-' || md5('r' || i)::uuid, 'england-2023', received_at,
       (ARRAY['1A', '2A', '3A', '3E', '5A', '6', '8', '9'])[1 + floor(u_age * 8)::int], 'closed',
       rag, outcome = 'immediate_protection', u_str < .226, 0, outcome, strat,
       received_at + interval '2 hours', screened_at, screened_at + interval '6 hours',
       received_at + interval '1 day', decided_at, decided_at + interval '1 day',
       decided_at + interval '1 minute', CASE WHEN strat IS NOT NULL
       THEN decided_at + interval '1 day' END, held_at, visit_due_at, seen_at, closed_at, 12,
       jsonb_strip_nulls(jsonb_build_object(
           'screening', received_at + interval '2 hours',
           'checks', screened_at + interval '6 hours',
           'mash_decision', received_at + interval '1 day',
           'referrer_feedback', decided_at + interval '1 day', 'visit', visit_due_at)),
       jsonb_strip_nulls(jsonb_build_object(
           'screened', screened_at, 'mash_decided', decided_at,
           'referrer_told', decided_at + interval '1 minute', 'strategy_held', held_at,
           'child_seen', seen_at, 'closed', closed_at)),
       CASE WHEN child % 4 <> 0 THEN encode(sha256(convert_to('nhs' || child, 'UTF8')), 'hex') END,
       encode(sha256(convert_to('name_dob' || child, 'UTF8')), 'hex'),
       (received_at + interval '18 years' - interval '1 day' * floor(u_age * 5840))::date
FROM w
"""

# Screening, agency checks (police and health; education too unless green), the decision, the
# strategy discussion and the visit where the case had them: 4.9 a referral.
FILL_TASKS = """
INSERT INTO task (task_id, referral_id, workflow_id, step_key, kind, team, agency, status,
                  due_at, opened_at, closed_at, completed_by, summary, counts_from,
                  referral_received_at)
SELECT t.id, r.referral_id, r.workflow_id, 'task/' || t.id, t.kind, t.team, t.agency,
       'completed', t.due_at, t.opened_at, t.closed_at,
       'staff-' || (1 + abs(hashtext(t.key)) % 200), t.summary, t.opened_at, r.received_at
FROM referral r
CROSS JOIN LATERAL (
    SELECT md5(r.referral_id::text || x.key)::uuid AS id, r.referral_id::text || x.key AS key,
           x.kind, x.team, x.agency, x.due_at, x.opened_at, x.closed_at, x.summary
    FROM (
        SELECT 'screening' AS key, 'screening' AS kind, 'front_door_practitioners' AS team,
               NULL::text AS agency, r.screening_due_at AS due_at, r.received_at AS opened_at,
               r.screened_at AS closed_at,
               jsonb_build_object('rag', r.rag, 'immediate_risk', r.immediate_risk) AS summary
        UNION ALL
        SELECT 'check/' || a.agency, 'agency_check', 'agency:' || a.agency, a.agency,
               r.checks_due_at, r.screened_at, r.screened_at + interval '2 hours' * a.n,
               '{"known_to_agency": false, "risk_indicator_count": 0}'::jsonb
        FROM unnest(ARRAY['police', 'health', 'education']) WITH ORDINALITY AS a(agency, n)
        WHERE a.n < 3 OR r.rag <> 'green'
        UNION ALL
        SELECT 'decision', 'decision', 'front_door_managers', NULL, r.mash_decision_due_at,
               r.screened_at, r.mash_decided_at, jsonb_build_object('outcome', r.outcome)
        UNION ALL
        SELECT 'strategy', 'strategy_discussion', 'front_door_managers', NULL,
               r.strategy_due_at, r.mash_decided_at, r.strategy_held_at,
               jsonb_build_object('outcome', r.strategy_outcome)
        WHERE r.strategy_held_at IS NOT NULL
        UNION ALL
        SELECT 'visit', 'visit', 'front_door_practitioners', NULL, r.visit_due_at,
               coalesce(r.strategy_held_at, r.mash_decided_at), r.child_seen_at,
               '{"child_seen": true, "seen_alone": true}'::jsonb
        WHERE r.visit_due_at IS NOT NULL
    ) x
) t
"""

# Case record entries of every referral but the sample: the intake, each task's result, 0 to 3
# items of new information and, on 6 cases in 10, a reminder on the screening task: 8 a case.
FILL_ENTRIES = """
INSERT INTO case_entry (referral_id, workflow_id, step_key, kind, task_id, actor, occurred_at,
                        recorded_at, key_id, body)
SELECT e.referral_id, e.workflow_id, e.step_key, e.kind, e.task_id, e.actor, e.occurred_at,
       e.occurred_at, 'bench-1',
       substr(decode(repeat(md5(e.workflow_id || e.step_key), 80), 'hex'), 1, e.size)
FROM (
    SELECT r.referral_id, r.workflow_id, 'intake' AS step_key, 'intake' AS kind,
           NULL::uuid AS task_id, NULL AS actor, r.received_at AS occurred_at,
           600 + floor(random() * 600)::int AS size
    FROM referral r
    UNION ALL
    SELECT t.referral_id, t.workflow_id, 'task/' || t.task_id || '/result', 'task_result',
           t.task_id, t.completed_by, t.closed_at, 200 + floor(random() * 600)::int
    FROM task t
    UNION ALL
    SELECT r.referral_id, r.workflow_id, 'information/' || n, 'information', NULL,
           'agency-police', r.screened_at + interval '1 hour' * n, 200 + floor(random() * 400)::int
    FROM referral r, generate_series(1, abs(hashtext(r.workflow_id)) % 4) AS n
    UNION ALL
    SELECT r.referral_id, r.workflow_id,
           'task/' || md5(r.referral_id::text || 'screening')::uuid || '/rung/0', 'escalation',
           md5(r.referral_id::text || 'screening')::uuid, 'system', r.screened_at, 300
    FROM referral r WHERE abs(hashtext(r.workflow_id || 'e')) % 10 < 6
) e
WHERE e.referral_id NOT IN (SELECT referral_id FROM bench_sample)
"""

# The audit trail: each task opened and completed, each item of new information, each reminder.
FILL_AUDIT = """
INSERT INTO audit_event (workflow_id, step_key, kind, actor, occurred_at, details, recorded_at)
SELECT a.workflow_id, a.step_key, a.kind, a.actor, a.occurred_at, a.details, a.occurred_at
FROM (
    SELECT t.workflow_id, 'task/' || t.task_id || '/opened' AS step_key, 'task_opened' AS kind,
           'system' AS actor, t.opened_at AS occurred_at,
           jsonb_build_object('task_id', t.task_id, 'kind', t.kind, 'agency', t.agency,
                              'team', t.team, 'due_at', t.due_at) AS details
    FROM task t
    UNION ALL
    SELECT t.workflow_id, 'task/' || t.task_id || '/closed', 'task_completed', t.completed_by,
           t.closed_at,
           jsonb_build_object('task_id', t.task_id, 'kind', t.kind, 'agency', t.agency,
                              'status', 'completed', 'actor', t.completed_by,
                              'opened_at', t.opened_at, 'due_at', t.due_at, 'summary', t.summary)
    FROM task t
    UNION ALL
    SELECT e.workflow_id, e.step_key,
           CASE e.kind WHEN 'information' THEN 'information_added' ELSE 'reminder_sent' END,
           e.actor, e.occurred_at,
           CASE e.kind WHEN 'information' THEN '{}'::jsonb
                ELSE jsonb_build_object('task_id', e.task_id, 'kind', 'screening', 'level', 0,
                                        'role', 'assignee') END
    FROM case_entry e WHERE e.kind IN ('information', 'escalation')
) a
"""
