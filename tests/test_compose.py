"""docker-compose.yml configures the Front Door services only through real `FRONTDOOR_` settings.

A misspelt variable (`FRONTDOOR_TEMPORAL_ADRESS`) is silently ignored by pydantic-settings, so the
process would fall back to a default or refuse to start; these tests catch it without a container.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from core.settings import Settings

COMPOSE_FILE = Path(__file__).resolve().parents[1] / "docker-compose.yml"
PREFIX = "FRONTDOOR_"
# Services that run the Front Door image, and what each must at least be told.
REQUIRED = {
    "migrate": {"FRONTDOOR_DATABASE_URL"},
    "worker": {"FRONTDOOR_TEMPORAL_ADDRESS", "FRONTDOOR_DATABASE_URL"},
    "api": {"FRONTDOOR_TEMPORAL_ADDRESS", "FRONTDOOR_DATABASE_URL", "FRONTDOOR_API_HOST"},
}


def settings_env_names() -> set[str]:
    """The environment variable of every field of `Settings`."""
    prefix = Settings.model_config.get("env_prefix", "")
    assert prefix == PREFIX
    return {f"{prefix}{name}".upper() for name in Settings.model_fields}


def load_compose(text: str) -> dict[str, object]:
    """Parse a compose file; `safe_load` resolves anchors and `<<` merge keys."""
    document = yaml.safe_load(text)
    assert isinstance(document, dict), "a compose file is a mapping"
    return document


def services(document: Mapping[str, object]) -> dict[str, Mapping[str, object]]:
    """The services of a compose document, by name."""
    found = document.get("services")
    assert isinstance(found, dict), "the compose file has no services mapping"
    result: dict[str, Mapping[str, object]] = {}
    for name, service in found.items():
        assert isinstance(service, dict), f"service {name} is not a mapping"
        result[str(name)] = service
    return result


def environment(service: Mapping[str, object]) -> dict[str, str | None]:
    """A service's `environment`, in either form: a mapping, or a list of `NAME=value`/`NAME`."""
    raw = service.get("environment")
    if raw is None:
        return {}
    if isinstance(raw, dict):
        return {str(k): None if v is None else str(v) for k, v in raw.items()}
    assert isinstance(raw, list), f"environment must be a mapping or a list, not {raw!r}"
    result: dict[str, str | None] = {}
    for item in raw:
        name, sep, value = str(item).partition("=")
        result[name] = value if sep else None
    return result


def is_frontdoor_service(service: Mapping[str, object]) -> bool:
    """Built from this project's Dockerfile, or running the Front Door image."""
    image = service.get("image")
    return "build" in service or (isinstance(image, str) and image.startswith("frontdoor"))


def unknown_frontdoor_variables(document: Mapping[str, object]) -> list[str]:
    """`service: NAME` for every `FRONTDOOR_` variable, on any service, that is no setting."""
    known = settings_env_names()
    return [
        f"{name}: {variable}"
        for name, service in services(document).items()
        for variable in environment(service)
        if variable.upper().startswith(PREFIX) and variable not in known
    ]


def foreign_variables(document: Mapping[str, object]) -> list[str]:
    """`service: NAME` for every non-`FRONTDOOR_` variable given to a Front Door service."""
    problems: list[str] = []
    for name, service in services(document).items():
        if not is_frontdoor_service(service):
            continue
        problems += [f"{name}: {v}" for v in environment(service) if not v.startswith(PREFIX)]
        if "env_file" in service:
            problems.append(f"{name}: env_file (unchecked variables)")
    return problems


@pytest.fixture(scope="module")
def compose() -> dict[str, object]:
    return load_compose(COMPOSE_FILE.read_text(encoding="utf-8"))


def test_every_frontdoor_variable_is_a_setting(
    compose: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert unknown_frontdoor_variables(compose) == []

    found = services(compose)
    assert set(REQUIRED) <= {n for n, s in found.items() if is_frontdoor_service(s)}
    for name, required in REQUIRED.items():
        env = environment(found[name])
        missing = {v for v in required if not (env.get(v) or "").strip()}
        assert not missing, f"{name} lacks {sorted(missing)}"

    # The values parse too (e.g. FRONTDOOR_LOG_FORMAT must be auto, console or json).
    for name, service in found.items():
        if not is_frontdoor_service(service):
            continue
        for variable in settings_env_names():
            monkeypatch.delenv(variable, raising=False)
        for variable, value in environment(service).items():
            if value is not None:
                monkeypatch.setenv(variable, value)
        settings = Settings()
        if name in {"worker", "api"}:
            assert settings.temporal_address is not None
            assert settings.database_url is not None


def test_frontdoor_services_use_only_frontdoor_variables(compose: dict[str, object]) -> None:
    assert foreign_variables(compose) == []


CAUGHT = """
x-env: &env
  FRONTDOOR_TEMPORAL_ADRESS: temporal:7233
services:
  worker:
    build: .
    environment:
      <<: *env
      FRONTDOOR_DATABASE_URL: postgresql://db/frontdoor
  api:
    image: frontdoor:latest
    environment:
      - FRONTDOOR_LOG_LEVL=INFO
      - DATABASE_URL=postgresql://db/frontdoor
      - FRONTDOOR_API_HOST
  temporal:
    image: temporalio/auto-setup
    environment:
      - DB=postgres12
"""


def test_the_checks_catch_misspelt_and_foreign_variables() -> None:
    document = load_compose(CAUGHT)
    assert unknown_frontdoor_variables(document) == [
        "worker: FRONTDOOR_TEMPORAL_ADRESS",
        "api: FRONTDOOR_LOG_LEVL",
    ]
    assert foreign_variables(document) == ["api: DATABASE_URL"]


def test_temporal_keeps_closed_histories_a_week(compose: dict[str, object]) -> None:
    # The record is in PostgreSQL; Temporal's histories are an operational window, set
    # explicitly rather than left at the image's default of a day.
    temporal = environment(services(compose)["temporal"])
    assert temporal.get("DEFAULT_NAMESPACE_RETENTION") == "168h"


def published(service: Mapping[str, object]) -> list[tuple[str, str]]:
    """(host address, port) of each port a service publishes; short or long syntax."""
    found: list[tuple[str, str]] = []
    for entry in service.get("ports") or []:  # type: ignore[attr-defined]
        if isinstance(entry, dict):
            found.append((str(entry.get("host_ip", "0.0.0.0")), str(entry.get("published"))))
            continue
        parts = str(entry).split(":")
        # "8080", "8080:8080" (all interfaces) or "127.0.0.1:8080:8080"
        found.append((parts[0], parts[1]) if len(parts) == 3 else ("0.0.0.0", parts[0]))
    return found


def test_nothing_is_published_beyond_the_loopback(compose: dict[str, object]) -> None:
    # Temporal's frontend has no sign-in, and the UI would show (and act on) every case.
    exposed = {
        f"{name}: {host}:{port}"
        for name, service in services(compose).items()
        for host, port in published(service)
        if host != "127.0.0.1"
    }
    assert exposed == set()
    everywhere = services(load_compose('services: {t: {ports: ["7233:7233"]}}'))["t"]
    assert published(everywhere) == [("0.0.0.0", "7233")]


def test_the_temporal_ui_cannot_act_on_cases(compose: dict[str, object]) -> None:
    ui = environment(services(compose)["temporal-ui"])
    assert ui.get("TEMPORAL_DISABLE_WRITE_ACTIONS") == "true"


def test_only_the_migrate_job_connects_as_the_schema_owner(compose: dict[str, object]) -> None:
    found = services(compose)
    owner = environment(found["postgresql"])["POSTGRES_USER"]
    migrate = environment(found["migrate"])
    assert urlsplit(migrate["FRONTDOOR_MIGRATE_DATABASE_URL"] or "").username == owner
    for name in ("worker", "notifier", "api"):
        url = environment(found[name])["FRONTDOOR_DATABASE_URL"] or ""
        assert urlsplit(url).username == "frontdoor_app_login", name
        assert "FRONTDOOR_MIGRATE_DATABASE_URL" not in environment(found[name]), name


def test_the_worker_and_notifier_healthchecks_ask_their_readiness_probes(
    compose: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each healthcheck asks the probe port the service's own settings open (docs/operations.md).
    found = services(compose)
    ports = {"worker": "worker_probe_port", "notifier": "notifier_probe_port"}
    for name, field in ports.items():
        for variable in settings_env_names():
            monkeypatch.delenv(variable, raising=False)
        for variable, value in environment(found[name]).items():
            if value is not None:
                monkeypatch.setenv(variable, value)
        settings = Settings()
        assert settings.probe_host == "0.0.0.0", name  # reachable by a scraper on the network
        check = found[name].get("healthcheck")
        assert isinstance(check, dict), f"{name} has no healthcheck"
        test = " ".join(str(part) for part in check["test"])
        assert f"http://127.0.0.1:{getattr(settings, field)}/readyz" in test, name
    worker_grace = found["worker"].get("stop_grace_period")
    assert worker_grace is not None
    seconds = int(str(worker_grace).rstrip("s"))
    grace = environment(found["worker"])["FRONTDOOR_WORKER_GRACEFUL_SHUTDOWN_SECONDS"]
    assert seconds > float(grace or "30")
