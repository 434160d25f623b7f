"""Settings come from FRONTDOOR_ variables, with safe defaults and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

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
