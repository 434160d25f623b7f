"""The remote codec for the Temporal UI and CLI (`--codec-endpoint`): engineers see decrypted
payloads there, everyone else sees only ciphertext. Same keys as every other client, taken from
the API's Temporal client.

Callers send an engineer's bearer token (the production UI passes its signed-in user's access
token). One exception, for development only: the embedded UI of `frontdoor dev` cannot send a
token, so with `codec_dev_ui` and development mode both on (only `frontdoor dev` sets the first),
a call without a token from the loopback, sent by a page of that UI's origin, is let in as the
`temporal-ui-dev` engineer, and recorded under that name like any other codec call.
"""

from __future__ import annotations

import ipaddress
import json
import re
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from google.protobuf.json_format import MessageToDict, ParseDict, ParseError
from temporalio.api.common.v1 import Payload, Payloads

from api.auth import StaffRole, User
from api.deps import SettingsDep, TemporalDep, current_user, require
from api.errors import ApiError, ErrorResponse
from core.codec import PayloadKeyError
from core.settings import Settings

router = APIRouter(
    prefix="/codec",
    tags=["codec"],
    responses={401: {"model": ErrorResponse}, 403: {"model": ErrorResponse}},
)

DEV_UI_USER = User(
    user_id="temporal-ui-dev", name="Temporal UI (frontdoor dev)", roles=[StaffRole.engineer]
)
_bearer = HTTPBearer(auto_error=False, description="A staff token from `frontdoor token`")
_engineer = require(StaffRole.engineer)


def dev_ui_origins(settings: Settings) -> list[str]:
    """The embedded UI's origins: as `frontdoor dev` prints it, and as `localhost`."""
    url = settings.temporal_ui_url()
    return [url, url.replace("127.0.0.1", "localhost")]


def from_dev_ui(request: Request, settings: Settings) -> bool:
    """A call the development exception lets in (see the module's docstring)."""
    if not (settings.codec_dev_ui and settings.dev_mode) or "authorization" in request.headers:
        return False
    try:
        loopback = ipaddress.ip_address(request.client.host if request.client else "").is_loopback
    except ValueError:
        return False
    return loopback and request.headers.get("origin") in dev_ui_origins(settings)


async def codec_caller(
    request: Request,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    """An engineer, by their token; or, in development, the embedded UI (`from_dev_ui`)."""
    if from_dev_ui(request, settings):
        request.state.user = DEV_UI_USER  # for the access log
        return DEV_UI_USER
    return await _engineer(await current_user(request, credentials))


CodecCaller = Annotated[User, Depends(codec_caller)]

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
async def encode(body: PayloadsBody, user: CodecCaller, temporal: TemporalDep) -> dict[str, Any]:
    """Encrypt payloads with the current key."""
    codec = temporal.data_converter.payload_codec
    assert codec is not None, "the API's converter always has the encryption codec"
    payloads = await codec.encode(list(_parse(body).payloads))
    return MessageToDict(Payloads(payloads=payloads))


@router.post("/decode")
async def decode(
    request: Request, body: PayloadsBody, user: CodecCaller, temporal: TemporalDep
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
