"""Connecting to Temporal the one way every process does (the project's data converter, and TLS
with a client certificate when the settings name one), and registering search attributes."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client, Interceptor
from temporalio.converter import DataConverter
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.service import RPCError, RPCStatusCode, TLSConfig

from core import search_attributes
from core.converter import NO_PAYLOADS_CONVERTER, data_converter
from core.logs import get_logger
from core.settings import Settings

log = get_logger(__name__)


class TemporalTlsError(ValueError):
    """A TLS file the settings name cannot be read; the message names the variable."""


def tls_config(settings: Settings) -> TLSConfig | bool:
    """TLS as the settings ask: False when no `FRONTDOOR_TEMPORAL_TLS_*` is set, else the CA, the
    client certificate and key (mutual TLS; `Settings` refuses one without the other) and the
    server name, read from their files."""
    if not settings.temporal_tls():
        return False
    return TLSConfig(
        server_root_ca_cert=_read(settings.temporal_tls_ca, "FRONTDOOR_TEMPORAL_TLS_CA"),
        client_cert=_read(settings.temporal_tls_cert, "FRONTDOOR_TEMPORAL_TLS_CERT"),
        client_private_key=_read(settings.temporal_tls_key, "FRONTDOOR_TEMPORAL_TLS_KEY"),
        domain=settings.temporal_tls_server_name,
    )


def _read(path: Path | None, variable: str) -> bytes | None:
    if path is None:
        return None
    try:
        return path.read_bytes()
    except OSError as err:
        raise TemporalTlsError(f"{variable}: cannot read {path} ({err.strerror})") from err


async def connect(
    address: str,
    namespace: str,
    settings: Settings | None = None,
    *,
    lazy: bool = False,
    tls: TLSConfig | bool | None = None,
    runtime: Runtime | None = None,
    interceptors: Sequence[Interceptor] = (),
) -> Client:
    """A client with the project's data converter, keyed by `settings`, over TLS if they say so.

    Without settings the client can check the server and register search attributes, but it
    refuses to send any payload (it has no key to encrypt it with). TLS is `tls` if given, else
    what `settings` say (`tls_config`), else off (the embedded dev server, on the loopback).
    `runtime` is the process's one Temporal runtime (`metrics_runtime`), else the SDK's default;
    a worker uses its client's.
    """
    converter: DataConverter = (
        NO_PAYLOADS_CONVERTER if settings is None else data_converter(settings)
    )
    if tls is None:
        tls = False if settings is None else tls_config(settings)
    return await Client.connect(
        address,
        namespace=namespace,
        data_converter=converter,
        tls=tls,
        lazy=lazy,
        runtime=runtime,
        interceptors=interceptors,
    )


def metrics_runtime(host: str, port: int) -> Runtime:
    """A Temporal runtime serving the SDK's Prometheus metrics on http://host:port/metrics (the
    `temporal_*` names in docs/operations.md). One per process: every client and worker of the
    process that should be measured is connected with it."""
    return Runtime(
        telemetry=TelemetryConfig(
            metrics=PrometheusConfig(
                bind_address=f"{host}:{port}",
                durations_as_seconds=True,
            )
        )
    )


async def ensure_search_attributes(client: Client, namespace: str) -> list[str]:
    """Register the project's search attributes that the namespace lacks; return those added.

    Idempotent, so every start of the dev stack and every test session can call it.
    """
    try:
        listed = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=namespace)
        )
        known = set(listed.custom_attributes) | set(listed.system_attributes)
    except RPCError as err:
        # The time-skipping test server can add search attributes but not list them.
        if err.status != RPCStatusCode.UNIMPLEMENTED:
            raise
        known = set()
    added: list[str] = []
    for key in search_attributes.ALL:
        if key.name in known:
            continue
        try:
            await client.operator_service.add_search_attributes(
                AddSearchAttributesRequest(
                    namespace=namespace,
                    search_attributes={
                        key.name: IndexedValueType.ValueType(key.indexed_value_type)
                    },
                )
            )
        except RPCError as err:
            # Registered since we looked (another process), or by an earlier run.
            if "already exists" not in str(err).lower():
                raise
            continue
        added.append(key.name)
    if added:
        log.info("search_attributes_registered", names=added)
    return added
