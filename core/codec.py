"""Encryption of every Temporal payload with AES-256-GCM, so the Temporal server (its database,
its API, its UI) never holds a child's data in plaintext.

Each encrypted payload names the key that sealed it (`encryption-key-id`), so keys can be rotated:
the newest key encrypts, every configured key decrypts.

Summaries are the one exception (`core/public.py`): marked public, they pass unsealed both
ways, and the payload converter accepts them only as text, never as a workflow's input.

Nothing else unsealed is accepted: a payload without the encrypted encoding, one that fails to
authenticate under the key it names, or one naming a key this process lacks, is decoded to a
refusal marker (`REFUSED_ENCODING`, the reason as its data) instead of its content. Raising here
would fail the worker's whole workflow task (the SDK decodes an activation before the workflow
sees it), so a forged update would stall the case; the marker instead reaches the payload
converter (`core/converter.py`), which refuses it as the input it was sent as: the update is
rejected, the signal dropped, the forged start fails, and nothing in the case changes.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Mapping, Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

from core.public import PUBLIC_KEY
from core.settings import Settings
from core.state_keys import made_once

ENCODING = b"binary/encrypted"
KEY_ID_KEY = "encryption-key-id"
# What an unsealed or forged payload decodes to; its data says why, in words without case data.
REFUSED_ENCODING = b"binary/frontdoor-refused"
# On a marker for a key this process lacks: a configuration fault (a key not yet, or no longer,
# in FRONTDOOR_PAYLOAD_KEYS), which must not fail a case the way a forgery fails its start.
REFUSED_KEY_UNKNOWN = "frontdoor-key-unknown"
_NONCE_BYTES = 12
_KEY_BYTES = 32
_DEV_KEY_FILE = "payload-keys"


class PayloadKeyError(Exception):
    """Keys are missing or malformed, or a payload names a key this process does not have."""


def parse_keys(text: str) -> dict[str, bytes]:
    """`id:base64key,id2:base64key` as an ordered mapping; the first key is the current one."""
    keys: dict[str, bytes] = {}
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        key_id, sep, encoded = item.partition(":")
        if not sep or not key_id.strip():
            raise PayloadKeyError("payload keys are written id:base64key, separated by commas")
        try:
            key = base64.b64decode(encoded.strip(), validate=True)
        except binascii.Error as err:
            raise PayloadKeyError(f"payload key {key_id!r} is not valid base64") from err
        if len(key) != _KEY_BYTES:
            raise PayloadKeyError(f"payload key {key_id!r} must be 32 bytes (AES-256)")
        if key_id in keys:
            raise PayloadKeyError(f"payload key id {key_id!r} appears twice")
        keys[key_id.strip()] = key
    if not keys:
        raise PayloadKeyError("no payload keys given")
    return keys


def new_key_spec(key_id: str) -> str:
    """A fresh `id:base64key` entry, for `FRONTDOOR_PAYLOAD_KEYS` or the development key file."""
    return f"{key_id}:{base64.b64encode(secrets.token_bytes(_KEY_BYTES)).decode()}"


def payload_keys(settings: Settings) -> dict[str, bytes]:
    """The configured keys; in development mode without any, a key made once in the state folder.

    Outside development mode, no keys is an error: a process must never write plaintext payloads.
    """
    if settings.payload_keys is not None:
        return parse_keys(settings.payload_keys.get_secret_value())
    if not settings.dev_mode:
        raise PayloadKeyError(
            "set FRONTDOOR_PAYLOAD_KEYS (id:base64key,...) or turn on FRONTDOOR_DEV_MODE"
        )
    return parse_keys(made_once(settings.state_dir, _DEV_KEY_FILE, lambda: new_key_spec("dev-1")))


class EncryptionCodec(PayloadCodec):
    """AES-256-GCM over whole serialized payloads; the key id travels in clear metadata."""

    def __init__(self, keys: Mapping[str, bytes]) -> None:
        if not keys:
            raise PayloadKeyError("the codec needs at least one key")
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys.items()}
        self._current = next(iter(keys))

    @property
    def current_key_id(self) -> str:
        return self._current

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [p if is_public(p) else self._encrypt(p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [p if is_public(p) else self._decrypt(p) for p in payloads]

    def _encrypt(self, payload: Payload) -> Payload:
        nonce = secrets.token_bytes(_NONCE_BYTES)
        key_id = self._current.encode()
        # The key id is authenticated data: a payload cannot be relabelled to another key.
        sealed = self._ciphers[self._current].encrypt(nonce, payload.SerializeToString(), key_id)
        return Payload(metadata={"encoding": ENCODING, KEY_ID_KEY: key_id}, data=nonce + sealed)

    def _decrypt(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return refused("it is not sealed with a Front Door payload key")
        key_id = payload.metadata.get(KEY_ID_KEY, b"").decode(errors="replace")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            return refused(
                f"it names payload key {key_id!r}, which is not in FRONTDOOR_PAYLOAD_KEYS",
                key_unknown=True,
            )
        nonce, sealed = payload.data[:_NONCE_BYTES], payload.data[_NONCE_BYTES:]
        try:
            plain = cipher.decrypt(nonce, sealed, key_id.encode())
        except InvalidTag:
            return refused(f"it does not authenticate under payload key {key_id!r}")
        return Payload.FromString(plain)


def is_public(payload: Payload) -> bool:
    """Left unsealed on purpose: a summary with no personal data (`core/public.py`). The payload
    converter reads one only where text or the workflow's metadata is expected, so a forged
    input marked so is refused all the same."""
    return payload.metadata.get(PUBLIC_KEY) == b"true"


def refused(reason: str, *, key_unknown: bool = False) -> Payload:
    """The marker an unacceptable payload decodes to (see the module's docstring)."""
    metadata = {"encoding": REFUSED_ENCODING}
    if key_unknown:
        metadata[REFUSED_KEY_UNKNOWN] = b"true"
    return Payload(metadata=metadata, data=reason.encode())


class RefuseToEncodeCodec(PayloadCodec):
    """For clients made without settings (server checks, search attributes): they may read
    unencrypted payloads but never write a payload, so nothing leaves them in plaintext."""

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        if payloads:
            raise PayloadKeyError("this Temporal client has no payload keys; connect with settings")
        return []

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return list(payloads)
