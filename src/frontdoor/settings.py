"""The one settings class: every knob is a `FRONTDOOR_` environment variable."""

from __future__ import annotations

import sys
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class LogFormat(StrEnum):
    """How log events are rendered."""

    AUTO = "auto"
    CONSOLE = "console"
    JSON = "json"


class Settings(BaseSettings):
    """Configuration of every Front Door process.

    An unset Temporal address or database URL means "start the embedded one" (only `frontdoor dev`
    does that; `frontdoor worker` and `frontdoor api` refuse to start without them).
    """

    model_config = SettingsConfigDict(env_prefix="FRONTDOOR_", extra="ignore", frozen=True)

    temporal_address: str | None = Field(
        default=None, description="host:port of a Temporal frontend; unset starts the embedded one"
    )
    temporal_namespace: str = Field(default="default", min_length=1)
    task_queue: str = Field(default="frontdoor-referrals", min_length=1)
    database_url: str | None = Field(
        default=None, description="PostgreSQL URL; unset starts the embedded one"
    )
    state_dir: Path = Field(default=Path(".frontdoor"))
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=1, le=65535)
    temporal_port: int = Field(default=7233, ge=1, le=65535)
    temporal_ui_port: int = Field(default=8233, ge=1, le=65535)
    auth_secret: SecretStr | None = Field(
        default=None,
        description="key that signs staff tokens (HS256); unset uses a key made once per state dir",
    )
    auth_issuer: str = "frontdoor"
    auth_audience: str = "frontdoor-api"
    max_body_bytes: int = Field(default=256 * 1024, ge=1024)
    log_format: LogFormat = LogFormat.AUTO
    log_level: str = "INFO"

    @field_validator("temporal_address", "database_url", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    def resolved_log_format(self) -> LogFormat:
        """Console for a terminal, JSON otherwise, unless a format is set explicitly."""
        if self.log_format is not LogFormat.AUTO:
            return self.log_format
        return LogFormat.CONSOLE if sys.stderr.isatty() else LogFormat.JSON

    def temporal_ui_url(self) -> str:
        """Where the embedded Temporal Web UI listens."""
        return f"http://127.0.0.1:{self.temporal_ui_port}"

    def api_url(self) -> str:
        """Base URL of the API as configured."""
        return f"http://{self.api_host}:{self.api_port}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings read once per process from the environment."""
    return Settings()
