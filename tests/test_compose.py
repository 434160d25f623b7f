"""docker-compose.yml configures the Front Door services only through real `FRONTDOOR_` settings.

A misspelt variable (`FRONTDOOR_TEMPORAL_ADRESS`) is silently ignored by pydantic-settings, so the
process would fall back to a default or refuse to start; these tests catch it without a container.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from core import search_attributes
from core.secret_files import SUFFIX
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
    """The environment variables of every field of `Settings`: its own, and its `_FILE`."""
    prefix = Settings.model_config.get("env_prefix", "")
    assert prefix == PREFIX
    names = {f"{prefix}{name}".upper() for name in Settings.model_fields}
    return names | {name + SUFFIX for name in names}


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


# What `docker-compose config` must be told; each is named when missing.
REQUIRED_VARIABLES = (
    "SECRETS_DIR",
    "FRONTDOOR_OIDC_ISSUER",
    "FRONTDOOR_PUBLIC_BASE_URL",
    "SMTP_HOST",
    "FRONTDOOR_BUILD_ID",
)
SECRETS = (
    "postgres_password",
    "temporal_db_password",
    "frontdoor_owner_db_password",
    "frontdoor_app_db_password",
    "payload_keys",
    "identifier_key",
    "auth_secret",
)


def make_secrets(folder: Path) -> dict[str, str]:
    """Throwaway secret files, each value distinctive (to look for it in rendered output)."""
    folder.mkdir(parents=True, exist_ok=True)
    values = {name: f"s3cret-{name}-{'x' * 32}" for name in SECRETS}
    for name, value in values.items():
        (folder / name).write_text(value + "\n", encoding="utf-8")
    return values


def compose_config(
    variables: Mapping[str, str], *overrides: Path
) -> subprocess.CompletedProcess[str]:
    """`docker-compose -f docker-compose.yml [-f override ...] config` with only `variables` of
    ours set."""
    if shutil.which("docker-compose") is None:
        pytest.skip("docker-compose is not installed")
    env = {k: v for k, v in os.environ.items() if k not in REQUIRED_VARIABLES}
    env.pop("FRONTDOOR_IMAGE", None)
    env.update(variables)
    return subprocess.run(
        ["docker-compose", "-f", str(COMPOSE_FILE)]
        + [arg for override in overrides for arg in ("-f", str(override))]
        + ["config"],
        cwd=COMPOSE_FILE.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="module")
def secrets_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("secrets")
    make_secrets(folder)
    return folder


def required_variables(secrets: Path) -> dict[str, str]:
    return {
        "SECRETS_DIR": str(secrets),
        "FRONTDOOR_OIDC_ISSUER": "https://login.council.example",
        "FRONTDOOR_PUBLIC_BASE_URL": "https://frontdoor.council.example",
        "SMTP_HOST": "smtp.council.example",
        "FRONTDOOR_BUILD_ID": "2026.03.1",
    }


@pytest.fixture(scope="module")
def rendered_text(secrets_dir: Path) -> str:
    result = compose_config(required_variables(secrets_dir))
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def rendered(rendered_text: str) -> dict[str, object]:
    return load_compose(rendered_text)


def apply_environment(
    monkeypatch: pytest.MonkeyPatch, service: Mapping[str, object], secrets: Path
) -> None:
    """The process environment of a Front Door service, its /run/secrets files taken from
    `secrets` (as compose mounts them)."""
    for variable in settings_env_names():
        monkeypatch.delenv(variable, raising=False)
    for variable, value in environment(service).items():
        if value is None:
            continue
        if variable.endswith(SUFFIX) and value.startswith("/run/secrets/"):
            value = str(secrets / value.removeprefix("/run/secrets/"))
        monkeypatch.setenv(variable, value)


def test_every_frontdoor_variable_is_a_setting(
    compose: dict[str, object],
    rendered: dict[str, object],
    secrets_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert unknown_frontdoor_variables(compose) == []

    found = services(rendered)
    assert set(REQUIRED) <= {n for n, s in found.items() if is_frontdoor_service(s)}
    for name, required in REQUIRED.items():
        env = environment(found[name])
        missing = {v for v in required if not (env.get(v) or "").strip()}
        assert not missing, f"{name} lacks {sorted(missing)}"

    # The values parse too (e.g. FRONTDOOR_LOG_FORMAT must be auto, console or json), the
    # secrets read from the files compose mounts.
    for name, service in found.items():
        if not is_frontdoor_service(service):
            continue
        apply_environment(monkeypatch, service, secrets_dir)
        settings = Settings()
        assert settings.database_url is not None
        # The migrate job logs in as the owner only; it names the app's login role, made by
        # the init script, to grant it `frontdoor_app`, and is not given its password.
        url = settings.migrate_database_url if name == "migrate" else settings.database_url
        assert urlsplit(url or "").password, f"{name} has no database password"
        if name in {"worker", "api"}:
            assert settings.temporal_address is not None
            assert settings.payload_keys is not None
            assert settings.identifier_key is not None


def test_each_secret_file_a_service_reads_is_mounted_into_it(rendered: dict[str, object]) -> None:
    for name, service in services(rendered).items():
        mounted = {
            str(s["source"] if isinstance(s, dict) else s)
            for s in service.get("secrets") or []  # type: ignore[attr-defined]
        }
        read = {
            value.removeprefix("/run/secrets/")
            for value in environment(service).values()
            if value is not None and value.startswith("/run/secrets/")
        }
        assert read <= mounted, f"{name} reads {sorted(read - mounted)} without mounting them"


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


def test_temporal_keeps_closed_histories_a_week(rendered: dict[str, object]) -> None:
    # The record is in PostgreSQL; Temporal's histories are an operational window, set
    # explicitly (by the namespace one-shot, on every `up`), not left at a day (docs/records.md).
    found = services(rendered)
    namespace = environment(found["temporal-namespace"])
    assert namespace.get("NAMESPACE_RETENTION") == "168h"  # as `frontdoor dev` sets it
    assert (
        namespace.get("NAMESPACE") == environment(found["worker"])["FRONTDOOR_TEMPORAL_NAMESPACE"]
    )


def test_the_namespace_job_registers_the_apps_search_attributes(
    rendered: dict[str, object],
) -> None:
    listed = environment(services(rendered)["temporal-namespace"])["SEARCH_ATTRIBUTES"] or ""
    pairs = dict(item.split("=") for item in listed.split())
    kinds = {"KEYWORD": "Keyword", "INT": "Int", "DATETIME": "Datetime", "BOOL": "Bool"}
    expected = {
        key.name: kinds[key.indexed_value_type.name.removeprefix("INDEXED_VALUE_TYPE_")]
        for key in search_attributes.ALL
    }
    assert pairs == expected


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


def test_only_the_api_is_published(rendered: dict[str, object]) -> None:
    publishing = {name for name, s in services(rendered).items() if s.get("ports")}
    assert publishing == {"api"}
    assert published(services(rendered)["api"]) == [("127.0.0.1", "8000")]


def test_the_temporal_ui_cannot_act_on_cases(compose: dict[str, object]) -> None:
    ui = environment(services(compose)["temporal-ui"])
    assert ui.get("TEMPORAL_DISABLE_WRITE_ACTIONS") == "true"


def test_only_the_migrate_job_connects_as_the_schema_owner(compose: dict[str, object]) -> None:
    found = services(compose)
    superuser = environment(found["postgresql"])["POSTGRES_USER"]
    migrate = environment(found["migrate"])
    owner = urlsplit(migrate["FRONTDOOR_MIGRATE_DATABASE_URL"] or "").username
    assert owner == "frontdoor"
    assert owner != superuser  # the bootstrap superuser is used by nothing after the init
    init = (COMPOSE_FILE.parent / "deploy/postgres/10-roles.sh").read_text(encoding="utf-8")
    for role in ("temporal", "frontdoor", "frontdoor_app_login"):
        assert f"CREATE ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE" in init, role
    assert "CREATE DATABASE temporal OWNER temporal;" in init
    assert "CREATE DATABASE temporal_visibility OWNER temporal;" in init
    assert "CREATE DATABASE frontdoor OWNER frontdoor;" in init
    assert "GRANT frontdoor_app TO frontdoor_app_login;" in init
    assert environment(found["temporal"])["POSTGRES_USER"] == "temporal"
    assert environment(found["temporal-schema"])["SQL_USER"] == "temporal"
    for name in ("worker", "notifier", "api"):
        url = environment(found[name])["FRONTDOOR_DATABASE_URL"] or ""
        assert urlsplit(url).username == "frontdoor_app_login", name
        assert "FRONTDOOR_MIGRATE_DATABASE_URL" not in environment(found[name]), name


def test_the_worker_and_notifier_healthchecks_ask_their_readiness_probes(
    rendered: dict[str, object], secrets_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each healthcheck asks the probe port the service's own settings open (docs/operations.md).
    found = services(rendered)
    ports = {"worker": "worker_probe_port", "notifier": "notifier_probe_port"}
    for name, field in ports.items():
        apply_environment(monkeypatch, found[name], secrets_dir)
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


# --- the rendered config (`docker-compose config`) -------------------------------------------


@pytest.mark.parametrize("missing", REQUIRED_VARIABLES)
def test_compose_refuses_without_a_required_variable_naming_it(
    missing: str, tmp_path: Path
) -> None:
    make_secrets(tmp_path)
    variables = required_variables(tmp_path)
    del variables[missing]
    result = compose_config(variables)
    assert result.returncode != 0
    assert f"set {missing} " in result.stderr, result.stderr


def test_every_long_running_service_has_a_healthcheck_and_limits(
    rendered: dict[str, object],
) -> None:
    one_shots = {"migrate", "temporal-schema", "temporal-namespace", "worker-version"}
    for name, service in services(rendered).items():
        assert service.get("mem_limit") and service.get("cpus"), f"{name} has no limits"
        if name in one_shots:
            # Checked by their exit: what needs them waits for service_completed_successfully.
            assert service.get("restart") == "no", name
            continue
        check = service.get("healthcheck")
        assert isinstance(check, dict) and check.get("test"), f"{name} has no healthcheck"
        assert not check.get("disable"), name
        assert service.get("restart") == "unless-stopped", name
    waits = {
        (name, dependency): str(condition.get("condition"))
        for name, service in services(rendered).items()
        for dependency, condition in (service.get("depends_on") or {}).items()  # type: ignore[attr-defined]
    }
    assert {w for w, c in waits.items() if w[1] in one_shots} == {
        ("temporal", "temporal-schema"),
        ("worker", "migrate"),
        ("worker", "temporal-namespace"),
        ("notifier", "migrate"),
        ("api", "migrate"),
        ("api", "temporal-namespace"),
    }
    assert all(c == "service_completed_successfully" for w, c in waits.items() if w[1] in one_shots)
    assert all(c == "service_healthy" for w, c in waits.items() if w[1] not in one_shots)
    api = services(rendered)["api"]["healthcheck"]
    assert "/readyz" in " ".join(api["test"])  # type: ignore[index]


def test_temporal_postgresql_and_the_ui_are_on_the_internal_network_only(
    rendered: dict[str, object],
) -> None:
    networks = rendered["networks"]
    assert isinstance(networks, dict)
    assert networks["backend"].get("internal") is True
    found = services(rendered)
    backend_only = (
        "postgresql",
        "temporal",
        "temporal-ui",
        "temporal-schema",
        "temporal-namespace",
        "worker-version",
    )
    for name in (*backend_only, "worker", "migrate"):
        attached = found[name]["networks"]
        assert isinstance(attached, dict) and set(attached) == {"backend"}, name


def test_images_are_pinned_and_temporal_is_set_up_by_the_admin_tools(
    rendered: dict[str, object],
) -> None:
    for name, service in services(rendered).items():
        image = str(service.get("image"))
        repository, _, tag = image.rpartition(":")
        assert repository and tag and tag != "latest", f"{name}: {image} is not pinned"
        assert "auto-setup" not in image, name
    found = services(rendered)
    assert str(found["temporal"]["image"]).startswith("temporalio/server:1.29.")
    ui = tuple(int(p) for p in str(found["temporal-ui"]["image"]).split(":")[1].split("."))
    assert ui >= (2, 38, 0)
    schema = (COMPOSE_FILE.parent / "deploy/temporal/schema.sh").read_text(encoding="utf-8")
    assert "setup-schema -v 0.0" in schema and "update-schema -d" in schema
    for db in ("temporal:temporal", "temporal_visibility:visibility"):
        assert db in schema


def test_no_secret_appears_in_the_rendered_config(
    rendered_text: str, rendered: dict[str, object]
) -> None:
    for name in SECRETS:
        assert f"s3cret-{name}" not in rendered_text
    for name, service in services(rendered).items():
        for variable, value in environment(service).items():
            secretish = any(w in variable for w in ("PASSWORD", "PWD", "SECRET", "KEY"))
            if secretish:
                assert variable.endswith("_FILE"), f"{name}: {variable} holds a secret itself"
                assert (value or "").startswith("/run/secrets/"), f"{name}: {variable}"
            if value and "://" in value:
                assert urlsplit(value).password is None, f"{name}: {variable} holds a password"


def test_the_worker_polls_as_its_build_and_that_build_is_made_current(
    rendered: dict[str, object],
) -> None:
    found = services(rendered)
    worker, current = environment(found["worker"]), environment(found["worker-version"])
    assert worker["FRONTDOOR_WORKER_DEPLOYMENT_NAME"] == current["DEPLOYMENT_NAME"] == "frontdoor"
    assert worker["FRONTDOOR_WORKER_BUILD_ID"] == current["BUILD_ID"] == "2026.03.1"
    waits = found["worker-version"]["depends_on"]
    assert waits == {"worker": {"condition": "service_healthy", "required": True}} or waits == {
        "worker": {"condition": "service_healthy"}
    }
    script = COMPOSE_FILE.parent / "deploy/temporal/current-version.sh"
    assert "set-current-version" in script.read_text(encoding="utf-8")
    subprocess.run(["bash", "-n", str(script)], check=True)


UI_OVERRIDE = COMPOSE_FILE.parent / "deploy/temporal-ui.yml"


def test_the_ui_override_signs_engineers_in_and_passes_their_token_to_the_codec(
    secrets_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ui_secret = "s3cret-ui-client-" + "y" * 32
    (secrets_dir / "temporal_ui_oidc_client_secret").write_text(ui_secret + "\n")
    ui_url = "https://temporal.council.example"
    variables = required_variables(secrets_dir) | {
        "TEMPORAL_UI_PUBLIC_URL": ui_url,
        "TEMPORAL_UI_OIDC_CLIENT_ID": "temporal-ui",
    }
    missing = compose_config(
        {k: v for k, v in variables.items() if k != "TEMPORAL_UI_OIDC_CLIENT_ID"}, UI_OVERRIDE
    )
    assert missing.returncode != 0 and "set TEMPORAL_UI_OIDC_CLIENT_ID " in missing.stderr
    result = compose_config(variables, UI_OVERRIDE)
    assert result.returncode == 0, result.stderr
    assert ui_secret not in result.stdout
    found = services(load_compose(result.stdout))
    ui = found["temporal-ui"]
    env = environment(ui)
    assert env["TEMPORAL_AUTH_ENABLED"] == "true"
    assert env["TEMPORAL_AUTH_PROVIDER_URL"] == variables["FRONTDOOR_OIDC_ISSUER"]
    assert env["TEMPORAL_AUTH_CALLBACK_URL"] == f"{ui_url}/auth/sso/callback"
    assert env["TEMPORAL_CODEC_ENDPOINT"] == variables["FRONTDOOR_PUBLIC_BASE_URL"] + "/codec"
    assert env["TEMPORAL_CODEC_PASS_ACCESS_TOKEN"] == "true"
    assert env["TEMPORAL_DISABLE_WRITE_ACTIONS"] == "true"
    assert "TEMPORAL_AUTH_CLIENT_SECRET" not in env  # read from its secret by deploy/temporal/ui.sh
    ui_secrets, ports, temporal_networks = ui["secrets"], ui["ports"], found["temporal"]["networks"]
    assert isinstance(ui_secrets, list) and isinstance(ports, list)
    assert isinstance(temporal_networks, dict)
    names = [item if isinstance(item, str) else item["source"] for item in ui_secrets]
    assert names == ["temporal_ui_oidc_client_secret"]
    subprocess.run(["bash", "-n", str(COMPOSE_FILE.parent / "deploy/temporal/ui.sh")], check=True)
    # Published on the loopback only (for the proxy); Temporal itself stays internal.
    hosts = [port.split(":")[0] if isinstance(port, str) else port["host_ip"] for port in ports]
    assert hosts == ["127.0.0.1"]
    assert set(temporal_networks) == {"backend"}
    # The API lets the UI's origin call /codec from the browser.
    apply_environment(monkeypatch, found["api"], secrets_dir)
    assert ui_url in Settings().codec_cors_origins
