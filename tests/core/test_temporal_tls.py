"""TLS to the Temporal frontend is built from the settings: the CA, the client certificate and its
key (mutual TLS); a certificate without its key, or a file that cannot be read, is refused with a
message naming the variable to fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from temporalio.service import TLSConfig

from core.settings import Settings
from core.temporal import TemporalTlsError, tls_config


def _pem(folder: Path, name: str) -> Path:
    path = folder / name
    path.write_bytes(f"-----BEGIN {name.upper()}-----\n".encode())
    return path


def test_no_tls_setting_means_plain_grpc() -> None:
    assert tls_config(Settings()) is False


def test_the_tls_config_is_read_from_the_files_the_settings_name(tmp_path: Path) -> None:
    ca, cert, key = (_pem(tmp_path, n) for n in ("ca", "cert", "key"))
    settings = Settings(
        temporal_tls_ca=ca,
        temporal_tls_cert=cert,
        temporal_tls_key=key,
        temporal_tls_server_name="temporal.internal",
    )
    assert tls_config(settings) == TLSConfig(
        server_root_ca_cert=ca.read_bytes(),
        client_cert=cert.read_bytes(),
        client_private_key=key.read_bytes(),
        domain="temporal.internal",
    )
    # A CA alone: TLS checked against it, no client certificate.
    only_ca = tls_config(Settings(temporal_tls_ca=ca))
    assert isinstance(only_ca, TLSConfig) and only_ca.client_cert is None


def test_the_settings_are_read_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ca, cert, key = (_pem(tmp_path, n) for n in ("ca", "cert", "key"))
    monkeypatch.setenv("FRONTDOOR_TEMPORAL_TLS_CA", str(ca))
    monkeypatch.setenv("FRONTDOOR_TEMPORAL_TLS_CERT", str(cert))
    monkeypatch.setenv("FRONTDOOR_TEMPORAL_TLS_KEY", str(key))
    config = tls_config(Settings())
    assert isinstance(config, TLSConfig)
    assert config.client_private_key == key.read_bytes()


def test_a_certificate_without_its_key_is_refused_naming_the_variable(tmp_path: Path) -> None:
    cert, key = _pem(tmp_path, "cert"), _pem(tmp_path, "key")
    with pytest.raises(ValidationError, match="FRONTDOOR_TEMPORAL_TLS_KEY is missing"):
        Settings(temporal_tls_cert=cert)
    with pytest.raises(ValidationError, match="FRONTDOOR_TEMPORAL_TLS_CERT is missing"):
        Settings(temporal_tls_key=key)


def test_a_file_that_cannot_be_read_names_its_variable(tmp_path: Path) -> None:
    with pytest.raises(TemporalTlsError, match="FRONTDOOR_TEMPORAL_TLS_CA: cannot read"):
        tls_config(Settings(temporal_tls_ca=tmp_path / "absent.pem"))
