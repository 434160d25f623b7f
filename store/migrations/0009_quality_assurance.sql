-- Quality assurance: the monthly (or on-demand) sample of closed cases drawn for audit, the
-- audits graded on Ofsted's scale, the answers per question, moderation by a second auditor and
-- the learning actions that follow (docs/quality-assurance.md).
--
-- What auditors write (evidence, rationale, a moderator's resolution) may describe the child, so
-- it is sealed like the case record (`key_id` and the sealed bytes, core/sealing.py), bound to
-- the row it belongs to; grades, codes and dates are plain, for the aggregates.
--
-- Numbered 0009 but written after 0010 and 0011: on a new database it runs before
-- 0010_least_privilege.sql, whose GRANT ... ON ALL TABLES covers these tables; on a database
-- that has 0010 already, its default privileges give `frontdoor_app` the same grants.

CREATE TABLE audit_sample (
    sample_id   uuid PRIMARY KEY,
    month       date NOT NULL CHECK (extract(day FROM month) = 1),
    seed        bigint NOT NULL,
    -- The rules as applied (random share, NFA share, ...), so the draw can be repeated.
    rules       jsonb NOT NULL,
    drawn_by    text NOT NULL,
    drawn_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE audit (
    audit_id        uuid PRIMARY KEY,
    sample_id       uuid NOT NULL REFERENCES audit_sample,
    referral_id     uuid NOT NULL REFERENCES referral,
    -- Why the case was drawn: random, re_referral, nfa, top_rung, exploitation.
    reasons         text[] NOT NULL,
    auditor         text NOT NULL,
    -- Drawn (from the sample's seed) for moderation by a second auditor.
    to_moderate     boolean NOT NULL DEFAULT false,
    status          text NOT NULL DEFAULT 'assigned'
                    CHECK (status IN ('assigned', 'submitted', 'moderated')),
    overall_grade   text CHECK (overall_grade IN
                        ('outstanding', 'good', 'requires_improvement', 'inadequate')),
    rationale_key   text,
    rationale       bytea,
    assigned_at     timestamptz NOT NULL DEFAULT now(),
    submitted_at    timestamptz,
    UNIQUE (sample_id, referral_id),
    CHECK ((rationale IS NULL) = (rationale_key IS NULL))
);

CREATE INDEX audit_by_auditor ON audit (auditor, status);
CREATE INDEX audit_by_submitted ON audit (submitted_at) WHERE submitted_at IS NOT NULL;

CREATE TABLE audit_answer (
    audit_id      uuid NOT NULL REFERENCES audit ON DELETE CASCADE,
    question      text NOT NULL,
    grade         text NOT NULL CHECK (grade IN
                      ('outstanding', 'good', 'requires_improvement', 'inadequate')),
    evidence_key  text NOT NULL,
    evidence      bytea NOT NULL,
    answered_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (audit_id, question)
);

-- One moderation per audit; a disagreement keeps both grades and the resolution.
CREATE TABLE audit_moderation (
    audit_id        uuid PRIMARY KEY REFERENCES audit ON DELETE CASCADE,
    moderator       text NOT NULL,
    grade           text NOT NULL CHECK (grade IN
                        ('outstanding', 'good', 'requires_improvement', 'inadequate')),
    agrees          boolean NOT NULL,
    resolved_grade  text CHECK (resolved_grade IN
                        ('outstanding', 'good', 'requires_improvement', 'inadequate')),
    resolution_key  text,
    resolution      bytea,
    moderated_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (agrees OR (resolved_grade IS NOT NULL AND resolution IS NOT NULL))
);

CREATE TABLE learning_action (
    action_id    uuid PRIMARY KEY,
    audit_id     uuid NOT NULL REFERENCES audit,
    action       text NOT NULL,
    owner        text NOT NULL,
    due_on       date NOT NULL,
    status       text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done')),
    created_by   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    done_at      timestamptz
);

CREATE INDEX learning_action_open ON learning_action (due_on) WHERE status = 'open';

-- The improvement plan the executive oversight group follows: actions (not about any one child)
-- with an owner, a due date, where they stand and the evidence that they are done.
CREATE TABLE improvement_action (
    action_id   uuid PRIMARY KEY,
    action      text NOT NULL,
    owner       text NOT NULL,
    due_on      date NOT NULL,
    status      text NOT NULL DEFAULT 'not_started'
                CHECK (status IN ('not_started', 'in_progress', 'done')),
    evidence    text,
    updated_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
