"""The remote codec for the Temporal UI and CLI (`--codec-endpoint`): engineers see decrypted
payloads there, everyone else sees only ciphertext. Same keys as every other client, taken from
the API's Temporal client."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from google.protobuf.json_format import MessageToDict, ParseDict, ParseError
from temporalio.api.common.v1 import Payloads

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


@router.post("/encode")
async def encode(body: PayloadsBody, user: Engineer, temporal: TemporalDep) -> dict[str, Any]:
    """Encrypt payloads with the current key."""
    codec = temporal.data_converter.payload_codec
    assert codec is not None, "the API's converter always has the encryption codec"
    payloads = await codec.encode(list(_parse(body).payloads))
    return MessageToDict(Payloads(payloads=payloads))


@router.post("/decode")
async def decode(body: PayloadsBody, user: Engineer, temporal: TemporalDep) -> dict[str, Any]:
    """Decrypt payloads sealed with any configured key; unencrypted ones come back unchanged."""
    codec = temporal.data_converter.payload_codec
    assert codec is not None, "the API's converter always has the encryption codec"
    try:
        payloads = await codec.decode(list(_parse(body).payloads))
    except PayloadKeyError as err:
        raise ApiError(422, "cannot_decrypt", str(err)) from err
    return MessageToDict(Payloads(payloads=payloads))
