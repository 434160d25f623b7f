"""Health checks and the one error shape, over HTTP against real servers."""

from __future__ import annotations

import httpx
from temporalio.testing import WorkflowEnvironment

from core.settings import Settings
from tests.api.conftest import ClientFactory
from tests.ports import free_port


async def test_healthz_answers_without_dependencies(api_client_for: ClientFactory) -> None:
    settings = Settings(
        temporal_address=f"127.0.0.1:{free_port()}",
        database_url=f"postgresql://nobody@127.0.0.1:{free_port()}/none",
    )
    async with api_client_for(settings) as client:
        response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_is_200_when_postgresql_and_temporal_answer(
    api_client: httpx.AsyncClient,
) -> None:
    response = await api_client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "postgresql": "ok", "temporal": "ok"}


async def test_readyz_names_postgresql_when_it_is_down(
    api_client_for: ClientFactory, dev_env: WorkflowEnvironment
) -> None:
    settings = Settings(
        temporal_address=dev_env.client.service_client.config.target_host,
        database_url=f"postgresql://nobody@127.0.0.1:{free_port()}/none",
    )
    async with api_client_for(settings) as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "not_ready"
    assert error["message"] == "not ready: postgresql unavailable"
    assert [d["part"] for d in error["details"]] == ["postgresql"]


async def test_readyz_names_temporal_when_it_is_down(
    api_client_for: ClientFactory, database_url: str
) -> None:
    settings = Settings(temporal_address=f"127.0.0.1:{free_port()}", database_url=database_url)
    async with api_client_for(settings) as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["message"] == "not ready: temporal unavailable"
    assert [d["part"] for d in error["details"]] == ["temporal"]


async def test_unknown_paths_and_methods_get_the_one_error_shape(
    api_client: httpx.AsyncClient,
) -> None:
    missing = await api_client.get("/no-such-thing")
    assert missing.status_code == 404
    assert missing.json() == {"error": {"code": "not_found", "message": "Not Found", "details": []}}
    wrong_method = await api_client.post("/healthz")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"]["code"] == "method_not_allowed"


async def test_openapi_describes_the_health_routes(api_client: httpx.AsyncClient) -> None:
    spec = (await api_client.get("/openapi.json")).json()
    assert {"/healthz", "/readyz"} <= set(spec["paths"])
