"""Sealing record bodies and keyed identifiers: what is stored cannot be read, moved to another
case or matched against a list of names without the keys, and keys rotate."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from core.codec import PayloadKeyError, parse_keys
from core.sealing import RecordSealer, Sealed, SealError, identifier_key
from core.settings import Settings

OLD = "old-1:" + base64.b64encode(b"o" * 32).decode()
NEW = "new-2:" + base64.b64encode(b"n" * 32).decode()
IDENTIFIER_KEY = b"k" * 32


def sealer(keys: str) -> RecordSealer:
    return RecordSealer(parse_keys(keys), IDENTIFIER_KEY)


def test_a_sealed_body_opens_only_for_its_own_row() -> None:
    seal = sealer(NEW)
    sealed = seal.seal(b"Sam says there is often no breakfast.", bound_to="referral-1\ndecision")

    assert sealed.key_id == "new-2"
    assert b"breakfast" not in sealed.body
    assert seal.open(sealed, bound_to="referral-1\ndecision") == (
        b"Sam says there is often no breakfast."
    )
    with pytest.raises(SealError, match="failed to open"):
        seal.open(sealed, bound_to="referral-2\ndecision")


def test_rotation_opens_old_bodies_and_reseals_them_under_the_current_key() -> None:
    before = sealer(OLD).seal(b"concern", bound_to="row")
    rotated = sealer(f"{NEW},{OLD}")

    assert rotated.open(before, bound_to="row") == b"concern"
    resealed = rotated.reseal(before, bound_to="row")
    assert resealed.key_id == "new-2"
    assert sealer(NEW).open(resealed, bound_to="row") == b"concern"
    with pytest.raises(SealError, match="'old-1', not configured"):
        sealer(NEW).open(Sealed("old-1", before.body), bound_to="row")


def test_identifiers_are_keyed_and_never_the_plain_value() -> None:
    one = RecordSealer(parse_keys(NEW), IDENTIFIER_KEY)
    other = RecordSealer(parse_keys(NEW), b"x" * 32)

    nhs = one.identifier("nhs", "9434765919")
    assert nhs == one.identifier("nhs", "9434765919")
    assert "9434765919" not in nhs and len(nhs) == 64
    assert nhs != other.identifier("nhs", "9434765919")
    assert nhs != one.identifier("name_dob", "9434765919")


def test_the_identifier_key_is_required_outside_development(tmp_path: Path) -> None:
    with pytest.raises(PayloadKeyError, match="FRONTDOOR_IDENTIFIER_KEY"):
        identifier_key(Settings(dev_mode=False, identifier_key=None, state_dir=tmp_path))
    with pytest.raises(PayloadKeyError, match="at least 32"):
        identifier_key(Settings(identifier_key="short", state_dir=tmp_path))  # type: ignore[arg-type]

    made = identifier_key(Settings(dev_mode=True, identifier_key=None, state_dir=tmp_path))
    assert made == identifier_key(Settings(dev_mode=True, identifier_key=None, state_dir=tmp_path))
    assert len(made) == 64
