-- Listing cases by what is due next: the earliest due time among a case's open tasks, kept by
-- the activities with the rest of the read model. Overdue is `next_due_at <= now()`, so it is
-- always current without a job to flip a flag.
ALTER TABLE referral ADD COLUMN next_due_at timestamptz;

CREATE INDEX referral_open_by_next_due ON referral (next_due_at, referral_id)
    WHERE stage <> 'closed';
