"""Sealing what staff recorded about a child before it is stored, and keyed identifiers.

`RecordSealer` encrypts a record entry's body with the payload key ring (AES-256-GCM; the newest
key seals, every configured key opens, the key's id is stored beside the value) and binds it to
its row (the workflow id and step key are associated data, so a body cannot be moved to another
case). `identifier` turns a matching identifier (an NHS number, a normalised name with a date of
birth) into a keyed HMAC-SHA256, so the database never holds the plain value or a hash anyone
could recompute from a list of names.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from core.codec import PayloadKeyError, payload_keys
from core.settings import Settings
from core.state_keys import made_once

_NONCE_BYTES = 12
_DEV_HMAC_FILE = "identifier-key"


def entry_binding(workflow_id: str, step_key: str) -> str:
    """What a record entry's sealed body is bound to: it opens only as that entry of that case."""
    return f"{workflow_id}\n{step_key}"


class SealError(Exception):
    """A sealed value names a key this process does not have, or fails to open."""


@dataclass(frozen=True)
class Sealed:
    key_id: str
    body: bytes


class RecordSealer:
    """Seals and opens record bodies; computes keyed identifiers."""

    def __init__(self, keys: Mapping[str, bytes], identifier_key: bytes) -> None:
        if not keys:
            raise PayloadKeyError("the record sealer needs at least one key")
        if len(identifier_key) < 32:
            raise PayloadKeyError("the identifier key must be at least 32 bytes")
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys.items()}
        self._current = next(iter(keys))
        self._identifier_key = identifier_key

    @property
    def current_key_id(self) -> str:
        return self._current

    def seal(self, plain: bytes, *, bound_to: str) -> Sealed:
        nonce = secrets.token_bytes(_NONCE_BYTES)
        aad = f"{self._current}\n{bound_to}".encode()
        return Sealed(
            self._current, nonce + self._ciphers[self._current].encrypt(nonce, plain, aad)
        )

    def open(self, sealed: Sealed, *, bound_to: str) -> bytes:
        cipher = self._ciphers.get(sealed.key_id)
        if cipher is None:
            raise SealError(f"a record entry is sealed with key {sealed.key_id!r}, not configured")
        nonce, data = sealed.body[:_NONCE_BYTES], sealed.body[_NONCE_BYTES:]
        try:
            return cipher.decrypt(nonce, data, f"{sealed.key_id}\n{bound_to}".encode())
        except InvalidTag as err:
            raise SealError(f"a record entry under key {sealed.key_id!r} failed to open") from err

    def reseal(self, sealed: Sealed, *, bound_to: str) -> Sealed:
        """The same value under the current key (for rotation)."""
        return self.seal(self.open(sealed, bound_to=bound_to), bound_to=bound_to)

    def identifier(self, kind: str, value: str) -> str:
        """The keyed identifier of `value` (e.g. kind "nhs" or "name_dob"), hex."""
        message = f"{kind}\n{value}".encode()
        return hmac.new(self._identifier_key, message, hashlib.sha256).hexdigest()


def identifier_key(settings: Settings) -> bytes:
    """The key of the matching identifiers; in development mode without one, a key made once in
    the state folder. It never rotates without re-keying every stored identifier."""
    if settings.identifier_key is not None:
        key = settings.identifier_key.get_secret_value().encode()
        if len(key) < 32:
            raise PayloadKeyError("FRONTDOOR_IDENTIFIER_KEY must be at least 32 characters")
        return key
    if not settings.dev_mode:
        raise PayloadKeyError(
            "set FRONTDOOR_IDENTIFIER_KEY (32 characters or more) or turn on FRONTDOOR_DEV_MODE"
        )
    return made_once(settings.state_dir, _DEV_HMAC_FILE, lambda: secrets.token_hex(32)).encode()


def record_sealer(settings: Settings) -> RecordSealer:
    """The sealer of every process that writes or reads the case record."""
    return RecordSealer(payload_keys(settings), identifier_key(settings))
