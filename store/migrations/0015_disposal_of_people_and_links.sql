-- Disposal (frontdoor records dispose; docs/records.md) reaches the people and links of a record:
-- a disposed referral's case links (their reasons are free text about the child), the person
-- records only disposed cases named (with the screeners' match decisions on them), and the
-- places, peer groups and adults of concern no remaining case is linked to.
--
-- Those tables refuse deletes by trigger (0012, 0014) and the app lost DELETE on them by grant.
-- As for case_entry (0007), a DELETE is now let by only in a transaction that says it is
-- disposing (SET LOCAL frontdoor.record_write = 'dispose'); nothing else changes: an UPDATE is
-- refused as before (a case link may still only be ended, once), and the audit and access trails
-- (audit_event, access_event, person_access) keep refuse_change_to_append_only, which lets
-- nothing by.
CREATE FUNCTION refuse_change_unless_disposing() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('frontdoor.record_write', true) = 'dispose' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP;
END;
$$;

DROP TRIGGER person_match_append_only ON person_match;
CREATE TRIGGER person_match_append_only
    BEFORE UPDATE OR DELETE ON person_match
    FOR EACH ROW EXECUTE FUNCTION refuse_change_unless_disposing();
DROP TRIGGER place_append_only ON place;
CREATE TRIGGER place_append_only
    BEFORE UPDATE OR DELETE ON place
    FOR EACH ROW EXECUTE FUNCTION refuse_change_unless_disposing();
DROP TRIGGER peer_group_append_only ON peer_group;
CREATE TRIGGER peer_group_append_only
    BEFORE UPDATE OR DELETE ON peer_group
    FOR EACH ROW EXECUTE FUNCTION refuse_change_unless_disposing();
DROP TRIGGER adult_of_concern_append_only ON adult_of_concern;
CREATE TRIGGER adult_of_concern_append_only
    BEFORE UPDATE OR DELETE ON adult_of_concern
    FOR EACH ROW EXECUTE FUNCTION refuse_change_unless_disposing();

CREATE OR REPLACE FUNCTION case_link_only_ends() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('frontdoor.record_write', true) = 'dispose' THEN
        RETURN OLD;
    END IF;
    IF TG_OP <> 'UPDATE' THEN
        RAISE EXCEPTION 'case_link rows are never deleted: end the link instead';
    END IF;
    IF OLD.ended_at IS NOT NULL
       OR (NEW.link_id, NEW.referral_id, NEW.entity_kind, NEW.entity_id, NEW.linked_by,
           NEW.linked_at, NEW.key_id, NEW.reason)
          IS DISTINCT FROM
          (OLD.link_id, OLD.referral_id, OLD.entity_kind, OLD.entity_id, OLD.linked_by,
           OLD.linked_at, OLD.key_id, OLD.reason) THEN
        RAISE EXCEPTION 'a case link may only be ended, once';
    END IF;
    RETURN NEW;
END
$$;

-- The app disposes (frontdoor records dispose connects as it): DELETE back, for the trigger to
-- decide, as case_entry has it. UPDATE stays revoked where 0012 and 0014 revoked it.
GRANT DELETE ON case_link, place, peer_group, adult_of_concern, person_match TO frontdoor_app;
