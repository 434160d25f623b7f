-- Links between children (issue 17, item 4: contextual safeguarding): places, peer groups and
-- adults of concern as entities of their own, and the links that tie each to children's cases.
--
-- Free text is sealed in the application like the rest of the record (AES-256-GCM with the
-- payload key ring, bound to "<table>\n<id>"): a place's name, description and address, a peer
-- group's name and description, why an adult is of concern, why a link was made or ended. The
-- only thing in clear for matching is a place's keyed address (`address_keys`: the 32-bit keyed
-- HMACs of its words, numbers and postcode, exactly as person.address_keys of 0012, so a place
-- and a person's address compare without either being readable).
CREATE TABLE place (
    place_id      uuid PRIMARY KEY,
    kind          text NOT NULL CHECK (kind IN ('address', 'park', 'shop', 'school', 'transport',
                                                'online', 'other')),
    address_keys  integer[] NOT NULL DEFAULT '{}',
    created_by    text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    key_id        text NOT NULL,
    body          bytea NOT NULL
);

CREATE INDEX place_by_address ON place USING gin (address_keys);

CREATE TABLE peer_group (
    group_id    uuid PRIMARY KEY,
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    key_id      text NOT NULL,
    body        bytea NOT NULL
);

-- An adult of concern is a person record of 0012 (so the person matching that exists finds
-- them again in a new contact's household), with why they are of concern (sealed).
CREATE TABLE adult_of_concern (
    adult_id    uuid PRIMARY KEY,
    person_id   uuid NOT NULL REFERENCES person (person_id),
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    key_id      text NOT NULL,
    body        bytea NOT NULL
);

CREATE INDEX adult_of_concern_by_person ON adult_of_concern (person_id);

-- A link from a child's case to a place, peer group or adult: who made it, when and why. Never
-- deleted: ended instead, once, with who, when and why (the only update the trigger lets by).
CREATE TABLE case_link (
    link_id         uuid PRIMARY KEY,
    referral_id     uuid NOT NULL,
    entity_kind     text NOT NULL CHECK (entity_kind IN ('place', 'peer_group', 'adult')),
    entity_id       uuid NOT NULL,
    linked_by       text NOT NULL,
    linked_at       timestamptz NOT NULL DEFAULT now(),
    key_id          text NOT NULL,
    reason          bytea NOT NULL,
    ended_by        text,
    ended_at        timestamptz,
    end_key_id      text,
    end_reason      bytea,
    CHECK ((ended_at IS NULL) = (ended_by IS NULL)
           AND (ended_at IS NULL) = (end_key_id IS NULL)
           AND (ended_at IS NULL) = (end_reason IS NULL))
);

-- One open link per case and entity; a case may be linked again after a link was ended.
CREATE UNIQUE INDEX case_link_open ON case_link (referral_id, entity_kind, entity_id)
    WHERE ended_at IS NULL;
CREATE INDEX case_link_by_entity ON case_link (entity_kind, entity_id) WHERE ended_at IS NULL;
CREATE INDEX case_link_by_referral ON case_link (referral_id, linked_at);

CREATE FUNCTION case_link_only_ends() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
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

CREATE TRIGGER case_link_ends_only
    BEFORE UPDATE OR DELETE ON case_link
    FOR EACH ROW EXECUTE FUNCTION case_link_only_ends();
CREATE TRIGGER place_append_only
    BEFORE UPDATE OR DELETE ON place
    FOR EACH ROW EXECUTE FUNCTION refuse_change_to_append_only();
CREATE TRIGGER peer_group_append_only
    BEFORE UPDATE OR DELETE ON peer_group
    FOR EACH ROW EXECUTE FUNCTION refuse_change_to_append_only();
CREATE TRIGGER adult_of_concern_append_only
    BEFORE UPDATE OR DELETE ON adult_of_concern
    FOR EACH ROW EXECUTE FUNCTION refuse_change_to_append_only();

-- The default privileges of 0010 granted the app SELECT, INSERT, UPDATE, DELETE; nothing here
-- is deleted, and only case_link is ever updated (to end a link).
REVOKE UPDATE, DELETE, TRUNCATE ON place, peer_group, adult_of_concern FROM frontdoor_app;
REVOKE DELETE, TRUNCATE ON case_link FROM frontdoor_app;
REVOKE UPDATE, DELETE, TRUNCATE ON place, peer_group, adult_of_concern, case_link FROM PUBLIC;
