-- People (issue 16): a person record for every child and adult an intake names, the
-- relationships between them, the cases they are in, the screeners' decisions on candidate
-- matches, and every read of a person's details by a partner.
--
-- The record is sealed in the application (AES-256-GCM, bound to "person\n<person_id>"). Only
-- keyed forms are in clear for matching (domain/people.py, docs/people.md): 32-bit keyed HMACs
-- of the name trigrams (`name_grams`, one array per name and alias), of the sound-alike codes
-- alone and with each plausible year of birth (`blocks`, the candidate search), of the address
-- words (`address_keys`); full keyed HMACs of the date of birth (or due date) and NHS number;
-- and the year of birth, exact or estimated. pg_trgm and fuzzystrmatch would need the names in
-- clear (and the embedded PostgreSQL ships neither), so no extension is needed.
CREATE TABLE person (
    person_id             uuid PRIMARY KEY,
    kind                  text NOT NULL CHECK (kind IN ('child', 'adult')),
    created_at            timestamptz NOT NULL DEFAULT now(),
    created_by            text NOT NULL,
    birth_year            integer,
    birth_year_estimated  boolean NOT NULL DEFAULT false,
    dob_key               text,
    nhs_key               text,
    blocks                integer[] NOT NULL,
    name_grams            jsonb NOT NULL,
    address_keys          integer[] NOT NULL,
    key_id                text NOT NULL,
    body                  bytea NOT NULL
);

CREATE INDEX person_by_block ON person USING gin (blocks);
CREATE INDEX person_by_dob ON person (dob_key) WHERE dob_key IS NOT NULL;
CREATE INDEX person_by_nhs ON person (nhs_key) WHERE nhs_key IS NOT NULL;
CREATE INDEX person_by_key ON person (key_id);

-- Both directions are stored, so "this person's relatives" is one index lookup.
CREATE TABLE person_relationship (
    person_id    uuid NOT NULL REFERENCES person (person_id),
    related_id   uuid NOT NULL REFERENCES person (person_id),
    kind         text NOT NULL CHECK (kind IN ('sibling', 'household')),
    referral_id  uuid,
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (person_id, related_id, kind),
    CHECK (person_id <> related_id)
);

-- Who a case is about (`subject`: one child, one case) and who was named around them.
CREATE TABLE case_person (
    referral_id  uuid NOT NULL,
    person_id    uuid NOT NULL REFERENCES person (person_id),
    role         text NOT NULL CHECK (role IN ('subject', 'household')),
    ordinal      integer NOT NULL DEFAULT 0,
    PRIMARY KEY (referral_id, person_id)
);

CREATE INDEX case_person_by_person ON case_person (person_id, role);
CREATE UNIQUE INDEX case_person_one_subject ON case_person (referral_id) WHERE role = 'subject';

-- A screener's decision on a candidate match, recorded on both records (one row for each side,
-- inserted together). Append-only: a later decision on the same pair supersedes, never erases.
CREATE TABLE person_match (
    match_id      bigserial PRIMARY KEY,
    person_id     uuid NOT NULL REFERENCES person (person_id),
    candidate_id  uuid NOT NULL REFERENCES person (person_id),
    decision      text NOT NULL CHECK (decision IN ('confirmed', 'rejected')),
    score         real,
    decided_by    text NOT NULL,
    decided_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (person_id <> candidate_id)
);

CREATE INDEX person_match_by_person ON person_match (person_id, candidate_id, decided_at);

-- Every time a partner was shown a person's details (the household on an agency check): who,
-- which agency, through which task, when. Append-only; no personal data.
CREATE TABLE person_access (
    access_id    bigserial PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT now(),
    person_id    uuid NOT NULL,
    user_id      text NOT NULL,
    agency       text,
    referral_id  uuid,
    task_id      uuid,
    route        text NOT NULL
);

CREATE INDEX person_access_by_person ON person_access (person_id, at);
CREATE INDEX person_access_by_task ON person_access (task_id, at);

CREATE TRIGGER person_match_append_only
    BEFORE UPDATE OR DELETE ON person_match
    FOR EACH ROW EXECUTE FUNCTION refuse_change_to_append_only();
CREATE TRIGGER person_access_append_only
    BEFORE UPDATE OR DELETE ON person_access
    FOR EACH ROW EXECUTE FUNCTION refuse_change_to_append_only();

-- The default privileges of 0010 granted the app SELECT, INSERT, UPDATE, DELETE on these; the
-- append-only ones lose UPDATE and DELETE, as the audit trails did.
REVOKE UPDATE, DELETE, TRUNCATE ON person_match, person_access FROM frontdoor_app;
REVOKE UPDATE, DELETE, TRUNCATE ON person_match, person_access FROM PUBLIC;
