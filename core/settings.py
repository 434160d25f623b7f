"""The one settings class: every knob is a `FRONTDOOR_` environment variable."""

from __future__ import annotations

import ipaddress
import sys
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

import limits
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from core.secret_files import SecretFilesSource, with_url_passwords


class LogFormat(StrEnum):
    """How log events are rendered."""

    AUTO = "auto"
    CONSOLE = "console"
    JSON = "json"


class SmtpTls(StrEnum):
    """How the notifier secures its SMTP connection."""

    AUTO = "auto"  # STARTTLS when the server offers it
    STARTTLS = "starttls"  # STARTTLS or fail
    TLS = "tls"  # implicit TLS from the first byte (usually port 465)
    NONE = "none"  # plain text: a local relay or a test server only


class Settings(BaseSettings):
    """Configuration of every Front Door process.

    An unset Temporal address or database URL means "start the embedded one" (only `frontdoor dev`
    does that; `frontdoor worker` and `frontdoor api` refuse to start without them).
    """

    model_config = SettingsConfigDict(env_prefix="FRONTDOOR_", extra="ignore", frozen=True)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # FRONTDOOR_<SETTING>_FILE reads a setting from a file (core/secret_files.py).
        files = SecretFilesSource(settings_cls)
        return (init_settings, env_settings, files, dotenv_settings, file_secret_settings)

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
    # Probes and metrics of the worker and the notifier (core/probes.py, docs/operations.md);
    # 0 turns one off.
    probe_host: str = Field(
        default="127.0.0.1",
        min_length=1,
        description="where the worker and the notifier answer /healthz, /readyz and /metrics",
    )
    otel_exporter_endpoint: str | None = Field(
        default=None,
        description="OTLP/HTTP traces URL (e.g. http://collector:4318/v1/traces); unset: spans "
        "are made (their trace ids are logged) but not exported",
    )
    worker_probe_port: int = Field(default=9464, ge=0, le=65535)
    worker_metrics_port: int = Field(
        default=9465, ge=0, le=65535, description="the Temporal SDK's Prometheus metrics"
    )
    notifier_probe_port: int = Field(default=9466, ge=0, le=65535)
    temporal_port: int = Field(default=7233, ge=1, le=65535)
    temporal_ui_port: int = Field(default=8233, ge=1, le=65535)
    # TLS to the Temporal frontend (production): setting any of these turns TLS on; a client
    # certificate (mutual TLS) needs both the certificate and its key.
    temporal_tls_ca: Path | None = Field(
        default=None,
        description="PEM file of the CA that signed the Temporal frontend's certificate "
        "(unset with TLS on: the system's roots)",
    )
    temporal_tls_cert: Path | None = Field(
        default=None, description="PEM file of this process's client certificate (mutual TLS)"
    )
    temporal_tls_key: Path | None = Field(
        default=None, description="PEM file of the client certificate's private key"
    )
    temporal_tls_server_name: str | None = Field(
        default=None,
        description="name the frontend's certificate is checked against, if not the address's host",
    )
    migrate_database_url: str | None = Field(
        default=None,
        description="PostgreSQL URL of the schema's owner, for `frontdoor migrate` only; "
        "unset: FRONTDOOR_DATABASE_URL",
    )
    # Put into the URLs above, which then name only the user (core/secret_files.py).
    database_password: SecretStr | None = None
    migrate_database_password: SecretStr | None = None
    auth_secret: SecretStr | None = Field(
        default=None,
        description="key that signs staff tokens (HS256); unset uses a key made once per state dir",
    )
    auth_issuer: str = "frontdoor"
    auth_audience: str = "frontdoor-api"
    max_token_hours: int = Field(
        default=12,
        ge=1,
        le=24 * 7,
        description="longest a staff token (or a sign-in session) may live, `exp - iat`; "
        "a token meant to live longer is refused",
    )
    dev_mode: bool = Field(
        default=False,
        description="development: accept `frontdoor token` tokens, make keys in the state folder",
    )
    codec_cors_origins: list[str] = Field(
        default_factory=list,
        description="Temporal UI origins allowed to call /codec from the browser "
        "(the embedded UI's is always allowed)",
    )
    # Development only, with dev_mode (`frontdoor dev` sets it): the embedded UI's /codec calls
    # from the loopback need no token (api/routes/codec.py).
    codec_dev_ui: bool = False
    oidc_issuer: str | None = Field(
        default=None, description="OpenID Connect issuer whose JWKS verifies staff tokens"
    )
    oidc_audience: str = "frontdoor-api"
    oidc_jwks_url: str | None = Field(
        default=None, description="unset: discovered from the issuer's openid-configuration"
    )
    oidc_algorithms: list[str] = Field(default_factory=lambda: ["RS256", "ES256"])
    oidc_refetch_cooldown_seconds: float = Field(
        default=30, ge=0, description="least time between JWKS fetches for unknown key ids"
    )
    oidc_user_claim: str = "sub"
    oidc_name_claim: str = "name"
    oidc_roles_claim: str = "roles"
    oidc_agency_claim: str = "agency"
    # Signing in from a browser (the dashboard) through the identity provider's
    # authorization-code flow with PKCE (api/routes/sign_in.py).
    oidc_client_id: str | None = Field(
        default=None, description="this API's client id at the identity provider"
    )
    oidc_client_secret: SecretStr | None = None
    oidc_redirect_uri: str | None = Field(
        default=None,
        description="where the identity provider sends staff back: <public URL>/sign-in/callback",
    )
    cookie_secure: bool | None = Field(
        default=None,
        description="mark the sign-in cookies Secure (sent over HTTPS only); unset: on unless "
        "in development mode. Production behind a TLS proxy keeps it on",
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="addresses or networks (CIDR) of the reverse proxies whose X-Forwarded-For "
        "is believed; from anyone else the connection's own address is recorded",
    )
    payload_keys: SecretStr | None = Field(
        default=None,
        description="AES-256 keys for Temporal payloads, `id:base64key,...`; the first encrypts",
    )
    identifier_key: SecretStr | None = Field(
        default=None,
        description="key of the keyed identifiers (HMAC) that match a child across referrals; "
        "unset in development uses a key made once in the state folder",
    )
    max_body_bytes: int = Field(default=256 * 1024, ge=1024)
    information_rate_limit: str = Field(
        default="20/minute",
        description="how much new information one caller may add to one case "
        "(`N/second|minute|hour|day`, several separated by ';'); more is answered 429",
    )
    # Worker tuning (workers/worker.py; measured in docs/performance.md).
    worker_sandbox: bool = Field(
        default=True,
        description="run workflow code in Temporal's sandbox, which refuses non-deterministic "
        "calls as they happen; tests and replays always use it, so a worker may run without it "
        "for about a quarter less CPU",
    )
    worker_max_cached_workflows: int = Field(
        default=1000,
        ge=0,
        description="cases whose workflow state the worker keeps between tasks (sticky cache); "
        "a case not in it is rebuilt by replaying its history",
    )
    worker_max_concurrent_workflow_tasks: int = Field(default=100, ge=2)
    worker_max_concurrent_local_activities: int = Field(default=100, ge=1)
    worker_workflow_task_polls: int = Field(
        default=5, ge=2, description="concurrent polls for workflow tasks (sticky and normal)"
    )
    worker_graceful_shutdown_seconds: float = Field(
        default=30.0,
        ge=0,
        description="on stop, how long the worker lets running activities finish before it "
        "cancels them (Temporal's graceful_shutdown_timeout)",
    )
    # Worker Deployment versioning, both or neither; unset: unversioned (docs/runbook.md, 7).
    worker_deployment_name: str | None = Field(default=None, pattern=r"^[^.]+$")
    worker_build_id: str | None = Field(default=None, description="e.g. the image's tag")
    api_workflow_deadline_seconds: float = Field(
        default=15.0,
        gt=0,
        description="how long an API call waits on a case's workflow (an update, a query, an "
        "intake) before answering 503",
    )
    # The retention schedule of the case record (domain/retention.py, docs/records.md): a closed
    # case is kept until the later of the child's 18th birthday plus the first and its closure
    # plus the second, unless a legal hold stops its disposal.
    retention_years_after_adulthood: int = Field(
        default=3, ge=0, le=100, description="years a record is kept after the child turns 18"
    )
    retention_years_after_closure: int = Field(
        default=3, ge=0, le=100, description="years a record is kept after the case closed"
    )
    log_format: LogFormat = LogFormat.AUTO
    log_level: str = "INFO"
    # Notification delivery (notifier/dispatcher.py).
    smtp_host: str = Field(default="localhost", min_length=1)
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_tls: SmtpTls = SmtpTls.AUTO
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    notify_sender: str = Field(
        default="Front Door <frontdoor@localhost>",
        min_length=3,
        description="the From of every notification email",
    )
    public_base_url: str = Field(
        default="http://127.0.0.1:8000",
        description="where staff open a case; emails link to {public_base_url}/referrals/{id}",
    )
    notify_max_attempts: int = Field(default=8, ge=1, le=100)
    notify_backoff_seconds: float = Field(
        default=30.0, gt=0, description="wait before the first retry; doubles on each one"
    )
    notify_backoff_max_seconds: float = Field(default=3600.0, gt=0)
    notify_poll_seconds: float = Field(default=5.0, gt=0, le=3600)
    notify_digest_hour: int = Field(
        default=8, ge=0, le=23, description="hour (Europe/London) the daily digests go out"
    )

    @model_validator(mode="before")
    @classmethod
    def _passwords_into_urls(cls, data: object) -> object:
        return with_url_passwords(data)

    @field_validator(
        "temporal_address",
        "database_url",
        "oidc_issuer",
        "oidc_jwks_url",
        "oidc_client_id",
        "oidc_redirect_uri",
        "smtp_username",
        "smtp_password",
        "temporal_tls_ca",
        "temporal_tls_cert",
        "temporal_tls_key",
        "temporal_tls_server_name",
        "migrate_database_url",
        "worker_deployment_name",
        "worker_build_id",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("auth_secret")
    @classmethod
    def _usable_secret(cls, value: SecretStr | None) -> SecretStr | None:
        # An empty key would sign every token with "" (anyone could forge one); a short one is
        # guessable. Unset is fine: a key is made once in the state folder.
        if value is not None and len(value.get_secret_value().strip()) < 32:
            raise ValueError(
                "FRONTDOOR_AUTH_SECRET must be at least 32 characters (or unset it to use a key "
                "made once in the state folder)"
            )
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(
                    f"FRONTDOOR_TRUSTED_PROXIES: {item!r} is not an address or a network"
                ) from None
        return value

    @field_validator("information_rate_limit")
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        try:
            limits.parse_many(value)
        except ValueError as err:
            raise ValueError(f"not a rate limit such as 20/minute: {err}") from None
        return value

    @field_validator("public_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _safe_delivery(self) -> Settings:
        if (self.smtp_username is None) != (self.smtp_password is None):
            raise ValueError("set both smtp_username and smtp_password, or neither")
        # A password sent in the clear, or downgraded by a server that hides STARTTLS, is leaked.
        if self.smtp_username is not None and self.smtp_tls not in (SmtpTls.STARTTLS, SmtpTls.TLS):
            raise ValueError("smtp credentials need smtp_tls=starttls or smtp_tls=tls")
        if self.notify_backoff_max_seconds < self.notify_backoff_seconds:
            raise ValueError("notify_backoff_max_seconds must be at least notify_backoff_seconds")
        return self

    @model_validator(mode="after")
    def _client_certificate_pair(self) -> Settings:
        if self.temporal_tls_cert is not None and self.temporal_tls_key is None:
            raise ValueError(
                "FRONTDOOR_TEMPORAL_TLS_KEY is missing: a client certificate "
                "(FRONTDOOR_TEMPORAL_TLS_CERT) needs its private key"
            )
        if self.temporal_tls_key is not None and self.temporal_tls_cert is None:
            raise ValueError(
                "FRONTDOOR_TEMPORAL_TLS_CERT is missing: a private key "
                "(FRONTDOOR_TEMPORAL_TLS_KEY) needs its client certificate"
            )
        return self

    @model_validator(mode="after")
    def _deployment_version_pair(self) -> Settings:
        if (self.worker_deployment_name is None) != (self.worker_build_id is None):
            raise ValueError(
                "set both FRONTDOOR_WORKER_DEPLOYMENT_NAME and FRONTDOOR_WORKER_BUILD_ID "
                "(a versioned worker), or neither (unversioned)"
            )
        return self

    def temporal_tls(self) -> bool:
        """Whether Temporal is reached over TLS: any temporal_tls_* setting turns it on."""
        return any(
            v is not None
            for v in (
                self.temporal_tls_ca,
                self.temporal_tls_cert,
                self.temporal_tls_server_name,
            )
        )

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    def secure_cookies(self) -> bool:
        """Whether cookies are marked Secure: as set, else everywhere but development."""
        return self.cookie_secure if self.cookie_secure is not None else not self.dev_mode

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
