-- Delivering the outbox by email (workers/notifier.py): a lease so a crashed dispatcher's claims
-- come back, exponential backoff between attempts, a visible reason when a row fails, the
-- Message-ID it went out under, and parking for a daily digest. Plus the directory that says
-- which mailbox a (team, role) or a member of staff reads.

-- Rows already queued are due at once.
ALTER TABLE notification
    ADD COLUMN next_attempt_at timestamptz NOT NULL DEFAULT now(),
    -- A claim is a lease: a dispatcher that dies leaves rows that any dispatcher may take again
    -- once `claimed_until` has passed (at least once; the Message-ID marks the duplicate).
    ADD COLUMN claimed_until   timestamptz,
    ADD COLUMN claimed_by      text,
    -- The error's class and SMTP code only: server replies may quote addresses.
    ADD COLUMN last_error      text,
    ADD COLUMN failure_reason  text
                               CHECK (failure_reason IN
                                      ('no_recipient', 'attempts_exhausted', 'recipient_refused')),
    ADD COLUMN failed_at       timestamptz,
    -- The Message-ID the row was sent under: its own, or the digest's that carried it.
    ADD COLUMN message_id      text,
    -- Set when the recipient reads a daily digest: the row waits for the digest at `digest_at`.
    ADD COLUMN digest_mailbox  text,
    ADD COLUMN digest_at       timestamptz,
    ADD CONSTRAINT notification_failed_has_reason
        CHECK (status <> 'failed' OR failure_reason IS NOT NULL),
    ADD CONSTRAINT notification_digest_whole
        CHECK ((digest_mailbox IS NULL) = (digest_at IS NULL));

-- What the dispatcher polls: pending rows by when they are next due.
DROP INDEX notification_pending;
CREATE INDEX notification_due ON notification (next_attempt_at) WHERE status = 'pending';
-- What the dashboard lists: undeliverable rows, newest first.
CREATE INDEX notification_failed ON notification (failed_at) WHERE status = 'failed';

-- Who reads what. `kind` 'team' maps a team (front_door_managers, agency:police, referrer, ...)
-- and a role ('' for the team's own mailbox; PostgreSQL keys cannot hold NULL) to a mailbox;
-- 'user' maps a member of staff's user id to a personal mailbox, for reminders to an assignee.
-- Staff mailboxes only: no child's or family's contact ever lives here.
CREATE TABLE directory_entry (
    kind       text NOT NULL CHECK (kind IN ('team', 'user')),
    name       text NOT NULL CHECK (name <> ''),
    role       text NOT NULL DEFAULT '',
    mailbox    text NOT NULL CHECK (mailbox LIKE '%_@_%'),
    digest     boolean NOT NULL DEFAULT false,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kind, name, role),
    CHECK (kind = 'team' OR role = '')
);
