"""The data converter every Temporal client of the project uses: pydantic models in and out,
every payload (failure messages included) encrypted by the codec in `core/codec.py`.

Worker, API, CLI, replayer and tests all build it with `data_converter(settings)`, so they all read
and write the same encrypted payloads with the same keys, and all refuse what is not sealed: the
codec decodes an unsealed or forged payload to a refusal marker, and the payload converter here
raises on it. Read as a workflow's input (start, update, signal) it raises a non-retryable
`UnsealedPayload` error, which the SDK turns into a rejected update, a dropped signal or a failed
(forged) start; that error is the one failure sent in clear, so whoever sent the payload, without
the keys, can read why it was refused. Two cases raise a plain `PayloadKeyError` instead, which
rejects an update just the same but fails only the workflow task (retried) anywhere else, so a
case is never failed for them: a key this process lacks (a rotation half done), and an activity's
result (a forged completion of a case's activity must not end the case).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from itertools import zip_longest
from typing import Any

from temporalio.api.common.v1 import Payload
from temporalio.api.failure.v1 import Failure
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.contrib.pydantic import PydanticPayloadConverter, pydantic_data_converter
from temporalio.converter import (
    ActivitySerializationContext,
    CompositePayloadConverter,
    DataConverter,
    DefaultFailureConverter,
    DefaultFailureConverterWithEncodedAttributes,
    EncodingPayloadConverter,
    JSONPlainPayloadConverter,
    JSONProtoPayloadConverter,
    PayloadConverter,
    SerializationContext,
    WithSerializationContext,
)
from temporalio.exceptions import ApplicationError

from core.codec import (
    REFUSED_ENCODING,
    REFUSED_KEY_UNKNOWN,
    EncryptionCodec,
    PayloadKeyError,
    RefuseToEncodeCodec,
    payload_keys,
    refused,
)
from core.public import PUBLIC_KEY, PublicText
from core.settings import Settings

UNSEALED_ERROR_TYPE = "UnsealedPayload"


class _RefusedPayloadConverter(EncodingPayloadConverter, WithSerializationContext):
    """Reads the codec's refusal marker as an error; never writes anything."""

    def __init__(self, *, for_activity: bool = False) -> None:
        self._for_activity = for_activity

    def with_context(self, context: SerializationContext) -> _RefusedPayloadConverter:
        return _REFUSED[isinstance(context, ActivitySerializationContext)]

    @property
    def encoding(self) -> str:
        return REFUSED_ENCODING.decode()

    def to_payload(self, value: Any) -> Payload | None:
        return None

    def from_payload(self, payload: Payload, type_hint: type | None = None) -> Any:
        reason = payload.data.decode(errors="replace")
        if self._for_activity or REFUSED_KEY_UNKNOWN in payload.metadata:
            raise PayloadKeyError(f"a payload cannot be read: {reason}")
        raise ApplicationError(
            f"refused: {reason}; this workflow accepts only"
            " payloads sealed with the service's keys (send staff actions through the Front"
            " Door API)",
            type=UNSEALED_ERROR_TYPE,
            non_retryable=True,
        )


class _PublicPayloadConverter(EncodingPayloadConverter):
    """Writes a `PublicText` (a summary) and the workflow's metadata (its current details, for
    the UI's metadata query) as JSON marked public, which the codec leaves unsealed. Its own
    encoding only names it among the converters: what it writes is plain JSON."""

    _text = JSONPlainPayloadConverter()
    _proto = JSONProtoPayloadConverter()

    @property
    def encoding(self) -> str:
        return "binary/frontdoor-public-writer"

    def to_payload(self, value: Any) -> Payload | None:
        if isinstance(value, PublicText):
            payload = self._text.to_payload(str(value))
        elif isinstance(value, WorkflowMetadata):
            payload = self._proto.to_payload(value)
        else:
            return None
        assert payload is not None
        payload.metadata[PUBLIC_KEY] = b"true"
        return payload

    def from_payload(self, payload: Payload, type_hint: type | None = None) -> Any:
        raise NotImplementedError("its payloads are read as the plain JSON they are")


# What a payload marked public may be read as: text, the workflow's metadata, or untyped (a
# client describing a workflow reads its summary so). Never a workflow's or an activity's input.
_PUBLIC_TYPES: tuple[type | None, ...] = (str, PublicText, WorkflowMetadata, None)


# The converters hold no state but the pydantic converter's cache of type adapters, which is
# thread-safe: one set serves every converter, so a converter made per payload's context (the SDK
# makes them per activity and per command) neither builds them again nor starts a cold cache.
_REFUSED = {False: _RefusedPayloadConverter(), True: _RefusedPayloadConverter(for_activity=True)}
_PUBLIC = _PublicPayloadConverter()
_PYDANTIC = tuple(PydanticPayloadConverter().converters.values())


class SealedPayloadConverter(PydanticPayloadConverter):
    """The pydantic converter, refusing the codec's refusal marker first, and a payload marked
    public where anything but text is expected."""

    def __init__(self, *, for_activity: bool = False) -> None:
        # Not PydanticPayloadConverter.__init__: it would build converters only to replace them.
        CompositePayloadConverter.__init__(self, _PUBLIC, _REFUSED[for_activity], *_PYDANTIC)
        self._for_activity = for_activity

    def with_context(self, context: SerializationContext) -> SealedPayloadConverter:
        """The converter for an activity's payloads or the workflow's: only the refusal marker's
        error depends on the context, so there are two, made once."""
        for_activity = isinstance(context, ActivitySerializationContext)
        return self if for_activity == self._for_activity else _SEALED[for_activity]

    def from_payloads(
        self, payloads: Sequence[Payload], type_hints: list[type] | None = None
    ) -> list[Any]:
        for payload, hint in zip_longest(payloads, type_hints or []):
            if payload is not None and PUBLIC_KEY in payload.metadata and hint not in _PUBLIC_TYPES:
                marker = refused("it is not sealed (a summary's payload, sent as an input)")
                self.converters[REFUSED_ENCODING].from_payload(marker, hint)
        return super().from_payloads(payloads, type_hints)


_SEALED = {False: SealedPayloadConverter(), True: SealedPayloadConverter(for_activity=True)}
_CLEAR_FAILURES = DefaultFailureConverter()


class FailureConverter(DefaultFailureConverterWithEncodedAttributes):
    """Messages and stack traces go into an encoded (sealed) payload, except the refusal of an
    unsealed payload: its fixed text holds no case data, and its sender has no key to read it."""

    def to_failure(
        self, exception: BaseException, payload_converter: PayloadConverter, failure: Failure
    ) -> None:
        if isinstance(exception, ApplicationError) and exception.type == UNSEALED_ERROR_TYPE:
            _CLEAR_FAILURES.to_failure(exception, payload_converter, failure)
            failure.stack_trace = ""
            return
        super().to_failure(exception, payload_converter, failure)


def data_converter(settings: Settings) -> DataConverter:
    """Pydantic payloads sealed with the settings' payload keys, refusing unsealed ones; failure
    messages and stack traces are moved into an encoded payload, so they are encrypted too."""
    return dataclasses.replace(
        pydantic_data_converter,
        payload_converter_class=SealedPayloadConverter,
        payload_codec=EncryptionCodec(payload_keys(settings)),
        failure_converter_class=FailureConverter,
    )


# Only for clients that are made without settings and never send a payload (checking that a
# server answers, registering search attributes): it refuses to encode anything.
NO_PAYLOADS_CONVERTER: DataConverter = dataclasses.replace(
    pydantic_data_converter, payload_codec=RefuseToEncodeCodec()
)
