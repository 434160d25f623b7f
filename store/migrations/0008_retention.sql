-- Retention (frontdoor records hold | lift | holds | dispose; docs/records.md).
--
-- Each legal hold names the referral it was placed from: the held referral itself, or for a hold
-- on every referral of a child, the referral that named the child. Its placing and lifting are
-- written to that case's audit trail, and `frontdoor records holds` shows it, since a child's
-- keyed identifier (an HMAC) says nothing to a person. Referral rows are never deleted (disposal
-- clears their personal data), so the reference always resolves.
ALTER TABLE legal_hold
    ADD COLUMN placed_from uuid NOT NULL REFERENCES referral (referral_id);

CREATE INDEX legal_hold_by_placed_from ON legal_hold (placed_from);

-- What disposal looks through: closed cases not yet disposed of, by when they closed.
CREATE INDEX referral_awaiting_disposal ON referral (closed_at)
    WHERE closed_at IS NOT NULL AND disposed_at IS NULL;
