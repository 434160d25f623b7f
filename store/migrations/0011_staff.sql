-- Who has signed in: the members of staff the API has seen, with the roles, agency and teams
-- their last token named. A task is assigned only to someone here, of the task's team.
CREATE TABLE staff (
    user_id     text PRIMARY KEY,
    name        text NOT NULL,
    roles       text[] NOT NULL,
    agency      text,
    teams       text[] NOT NULL,
    first_seen  timestamptz NOT NULL DEFAULT now(),
    last_seen   timestamptz NOT NULL DEFAULT now()
);

-- Idempotency keys of the API's keyed writes (completions, new information, corrections):
-- a key belongs to the caller who sent it, and stands for one body (its fingerprint).
CREATE TABLE idempotency_key (
    scope        text NOT NULL,
    caller       text NOT NULL,
    key          text NOT NULL,
    fingerprint  text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, caller, key)
);
