"""Settings come from FRONTDOOR_ variables, with safe defaults and clear errors."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from pydantic import ValidationError

from core.secret_files import SecretFileError
from core.settings import LogFormat, Settings


def test_defaults_start_embedded_servers(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("FRONTDOOR_TEMPORAL_ADDRESS", "FRONTDOOR_DATABASE_URL", "FRONTDOOR_API_PORT"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert settings.temporal_address is None
    assert settings.database_url is None
    assert (settings.api_host, settings.api_port) == ("127.0.0.1", 8000)
    assert (settings.temporal_port, settings.temporal_ui_port) == (7233, 8233)
    assert settings.state_dir == Path(".frontdoor")


def test_values_come_from_prefixed_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRONTDOOR_TEMPORAL_ADDRESS", "temporal:7233")
    monkeypatch.setenv("FRONTDOOR_DATABASE_URL", "  ")
    monkeypatch.setenv("FRONTDOOR_API_PORT", "9000")
    monkeypatch.setenv("FRONTDOOR_LOG_FORMAT", "json")
    settings = Settings()
    assert settings.temporal_address == "temporal:7233"
    assert settings.database_url is None  # blank means "start the embedded one"
    assert settings.api_port == 9000
    assert settings.resolved_log_format() is LogFormat.JSON


def test_a_bad_value_is_an_error_naming_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRONTDOOR_API_PORT", "70000")
    with pytest.raises(ValidationError, match="api_port"):
        Settings()


def test_the_retention_schedule_defaults_to_three_years_after_each(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("FRONTDOOR_RETENTION_YEARS_AFTER_ADULTHOOD", raising=False)
    monkeypatch.delenv("FRONTDOOR_RETENTION_YEARS_AFTER_CLOSURE", raising=False)
    settings = Settings()
    assert settings.retention_years_after_adulthood == 3
    assert settings.retention_years_after_closure == 3

    monkeypatch.setenv("FRONTDOOR_RETENTION_YEARS_AFTER_ADULTHOOD", "25")
    assert Settings().retention_years_after_adulthood == 25
    monkeypatch.setenv("FRONTDOOR_RETENTION_YEARS_AFTER_CLOSURE", "-1")
    with pytest.raises(ValidationError, match="retention_years_after_closure"):
        Settings()


def test_a_setting_is_read_from_the_file_its_file_variable_names(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Compose and Kubernetes secrets are files: FRONTDOOR_<SETTING>_FILE names one.
    keys = tmp_path / "payload_keys"
    keys.write_text("k1:" + "A" * 43 + "=\n", encoding="utf-8")
    monkeypatch.delenv("FRONTDOOR_PAYLOAD_KEYS", raising=False)
    monkeypatch.setenv("FRONTDOOR_PAYLOAD_KEYS_FILE", str(keys))
    monkeypatch.setenv("FRONTDOOR_API_PORT_FILE", str(tmp_path / "port"))
    (tmp_path / "port").write_text("9001", encoding="utf-8")
    settings = Settings()
    assert settings.payload_keys is not None
    assert settings.payload_keys.get_secret_value() == "k1:" + "A" * 43 + "="  # newline removed
    assert settings.api_port == 9001


@pytest.mark.parametrize("problem", ["missing", "empty", "directory", "both"])
def test_a_file_variable_that_gives_no_value_stops_the_start_naming_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, problem: str
) -> None:
    path = tmp_path / "identifier_key"
    if problem == "empty":
        path.write_text("\n", encoding="utf-8")
    elif problem == "directory":  # a compose secret whose host file is missing
        path.mkdir()
    elif problem == "both":
        path.write_text("x" * 40, encoding="utf-8")
        monkeypatch.setenv("FRONTDOOR_IDENTIFIER_KEY", "y" * 40)
    if problem != "both":
        monkeypatch.delenv("FRONTDOOR_IDENTIFIER_KEY", raising=False)
    monkeypatch.setenv("FRONTDOOR_IDENTIFIER_KEY_FILE", str(path))
    with pytest.raises(SecretFileError, match="FRONTDOOR_IDENTIFIER_KEY"):
        Settings()


def test_a_database_password_file_goes_into_its_url(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    secret = tmp_path / "app_db_password"
    secret.write_text("p@ss/word:1\n", encoding="utf-8")
    monkeypatch.setenv("FRONTDOOR_DATABASE_URL", "postgresql://frontdoor_app_login@db:5432/fd")
    monkeypatch.setenv("FRONTDOOR_DATABASE_PASSWORD_FILE", str(secret))
    monkeypatch.delenv("FRONTDOOR_DATABASE_PASSWORD", raising=False)
    monkeypatch.delenv("FRONTDOOR_MIGRATE_DATABASE_URL", raising=False)
    settings = Settings()
    assert settings.database_url == "postgresql://frontdoor_app_login:p%40ss%2Fword%3A1@db:5432/fd"
    parts = urlsplit(settings.database_url)
    assert (unquote(parts.password or ""), parts.hostname, parts.port) == (
        "p@ss/word:1",
        "db",
        5432,
    )
    assert settings.migrate_database_url is None

    monkeypatch.setenv("FRONTDOOR_DATABASE_URL", "postgresql://frontdoor_app_login:old@db/fd")
    with pytest.raises(ValidationError, match="holds a password already"):
        Settings()
    monkeypatch.setenv("FRONTDOOR_DATABASE_URL", "postgresql://db/fd")
    with pytest.raises(ValidationError, match="names no user"):
        Settings()
    monkeypatch.delenv("FRONTDOOR_DATABASE_URL")
    with pytest.raises(ValidationError, match="FRONTDOOR_DATABASE_URL is not"):
        Settings()
