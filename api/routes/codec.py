"""The remote codec for the Temporal UI and CLI (`--codec-endpoint`): engineers see decrypted
payloads there, everyone else sees only ciphertext. Same keys as every other client, taken from
the API's Temporal client."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Request
from google.protobuf.json_format import MessageToDict, ParseDict, ParseError
from temporalio.api.common.v1 import Payload, Payloads

from api.deps import Engineer, TemporalDep
from api.errors import ApiError, ErrorResponse
from core.codec import PayloadKeyError

router = APIRouter(
    prefix="/codec",
    tags=["codec"],
    responses={401: {"model": ErrorResponse}, 403: {"model": ErrorResponse}},
)

# The remote codec protocol: Payloads in protobuf JSON, bytes as base64.
PayloadsBody = Annotated[dict[str, Any], Body(examples=[{"payloads": []}])]


def _parse(body: dict[str, Any]) -> Payloads:
    try:
        return ParseDict(body, Payloads())
    except ParseError as err:
        raise ApiError(
            422, "invalid_payloads", 'send {"payloads": [{"metadata": {...}, "data": ...}]}'
        ) from err


_WORKFLOW_ID = re.compile(r"^referral-([0-9a-f-]{36})$")


def _referrals_in(payloads: list[Payload]) -> list[UUID]:
    """The referrals decrypted JSON payloads name at their top level, in order, once each."""
    found: list[UUID] = []
    for payload in payloads:
        if payload.metadata.get("encoding") != b"json/plain":
            continue
        try:
            value = json.loads(payload.data)
        except ValueError:
            continue
        if not isinstance(value, dict):
            continue
        candidates = [value.get("referral_id")]
        match = _WORKFLOW_ID.match(str(value.get("workflow_id", "")))
        if match:
            candidates.append(match.group(1))
        for candidate in candidates:
            try:
                referral = UUID(str(candidate))
            except ValueError:
                continue
            if referral not in found:
                found.append(referral)
    return found[:20]


@router.post("/encode")
async def encode(body: PayloadsBody, user: Engineer, temporal: TemporalDep) -> dict[str, Any]:
    """Encrypt payloads with the current key."""
    codec = temporal.data_converter.payload_codec
    assert codec is not None, "the API's converter always has the encryption codec"
    payloads = await codec.encode(list(_parse(body).payloads))
    return MessageToDict(Payloads(payloads=payloads))


@router.post("/decode")
async def decode(
    request: Request, body: PayloadsBody, user: Engineer, temporal: TemporalDep
) -> dict[str, Any]:
    """Decrypt payloads sealed with any configured key. A payload that is not sealed, does not
    authenticate or names a key this API lacks comes back as a refusal marker (encoding
    `binary/frontdoor-refused`, the reason as its data), as the worker sees it."""
    codec = temporal.data_converter.payload_codec
    assert codec is not None, "the API's converter always has the encryption codec"
    try:
        payloads = await codec.decode(list(_parse(body).payloads))
    except PayloadKeyError as err:
        raise ApiError(422, "cannot_decrypt", str(err)) from err
    request.state.referral_ids = _referrals_in(payloads)  # for the access log
    return MessageToDict(Payloads(payloads=payloads))
