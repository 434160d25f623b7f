"""Settings read from files: `FRONTDOOR_<SETTING>_FILE` names a file holding the setting's value.

The convention of the official PostgreSQL image (`POSTGRES_PASSWORD_FILE`), for compose and
Kubernetes secrets, which are files (`/run/secrets/<name>`): the value never sits in the process's
environment, in `docker inspect` or in the rendered compose file. The file's text is the value,
one trailing newline removed. A file that is named but missing, unreadable or empty stops the
process starting, naming the variable (a compose secret whose file is missing on the host is
mounted as an empty directory); so does setting both `FRONTDOOR_X` and `FRONTDOOR_X_FILE`.

Database passwords: `FRONTDOOR_DATABASE_PASSWORD` (`_FILE`) and
`FRONTDOOR_MIGRATE_DATABASE_PASSWORD` (`_FILE`) are put into `FRONTDOOR_DATABASE_URL` and
`FRONTDOOR_MIGRATE_DATABASE_URL`, which then name only the user, so one password file serves both
the database server (which sets the role's password from it) and the process.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

SUFFIX = "_FILE"
# (the URL's field, the field of its password)
URL_PASSWORDS = (
    ("database_url", "database_password"),
    ("migrate_database_url", "migrate_database_password"),
)


class SecretFileError(ValueError):
    """A `FRONTDOOR_*_FILE` that does not give a value; the message names the variable."""


def read_secret(variable: str, path: str) -> str:
    """The value in the file `variable` names, or SecretFileError saying why there is none."""
    file = Path(path)
    if not path.strip():
        raise SecretFileError(f"{variable} is set but empty: name the file holding the value")
    if file.is_dir():
        raise SecretFileError(
            f"{variable}: {path} is a directory, not a file (a compose secret whose file is "
            "missing on the host is mounted as an empty directory)"
        )
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as err:
        raise SecretFileError(f"{variable}: cannot read {path}: {err.strerror}") from None
    value = text.removesuffix("\n").removesuffix("\r")
    if not value.strip():
        raise SecretFileError(f"{variable}: {path} is empty")
    return value


class SecretFilesSource(PydanticBaseSettingsSource):
    """Values of `<prefix><FIELD>_FILE` variables, read from the files they name."""

    def __init__(self, settings_cls: type[BaseSettings]) -> None:
        super().__init__(settings_cls)
        self.prefix = str(settings_cls.model_config.get("env_prefix", "")).upper()

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ reads every field at once

    def __call__(self) -> dict[str, Any]:
        environ = {name.upper(): value for name, value in os.environ.items()}
        values: dict[str, Any] = {}
        for name in self.settings_cls.model_fields:
            variable = f"{self.prefix}{name}".upper()
            path = environ.get(variable + SUFFIX)
            if path is None:
                continue
            if variable in environ:
                raise SecretFileError(f"set {variable} or {variable}{SUFFIX}, not both")
            values[name] = read_secret(variable + SUFFIX, path)
        return values


def _plain(value: object) -> str | None:
    if value is None:
        return None
    reveal = getattr(value, "get_secret_value", None)
    text = str(reveal() if callable(reveal) else value)
    return text if text.strip() else None


def with_url_passwords(data: Any) -> Any:
    """The raw settings with each database password put into its URL (see the module's doc)."""
    if not isinstance(data, Mapping):
        return data
    result = dict(data)
    for url_field, password_field in URL_PASSWORDS:
        password = _plain(result.get(password_field))
        if password is None:
            continue
        url_variable = f"FRONTDOOR_{url_field.upper()}"
        url = _plain(result.get(url_field))
        if url is None:
            raise ValueError(f"FRONTDOOR_{password_field.upper()} is set but {url_variable} is not")
        parts = urlsplit(url)
        user, at, host = parts.netloc.rpartition("@")
        if not at or not user:
            raise ValueError(f"{url_variable} names no user for its password (postgresql://USER@…)")
        if ":" in user:
            raise ValueError(
                f"{url_variable} holds a password already; remove it, or the password setting"
            )
        netloc = f"{user}:{quote(password, safe='')}@{host}"
        result[url_field] = urlunsplit(parts._replace(netloc=netloc))
    return result
