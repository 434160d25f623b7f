"""The data converter every Temporal client of the project uses: pydantic models in and out,
every payload (failure messages included) encrypted by the codec in `core/codec.py`.

Worker, API, CLI, replayer and tests all build it with `data_converter(settings)`, so they all read
and write the same encrypted payloads with the same keys.
"""

from __future__ import annotations

import dataclasses

from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes

from core.codec import EncryptionCodec, RefuseToEncodeCodec, payload_keys
from core.settings import Settings


def data_converter(settings: Settings) -> DataConverter:
    """Pydantic payloads sealed with the settings' payload keys; failure messages and stack
    traces are moved into an encoded payload, so they are encrypted too."""
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=EncryptionCodec(payload_keys(settings)),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


# Only for clients that are made without settings and never send a payload (checking that a
# server answers, registering search attributes): it refuses to encode anything.
NO_PAYLOADS_CONVERTER: DataConverter = dataclasses.replace(
    pydantic_data_converter, payload_codec=RefuseToEncodeCodec()
)
