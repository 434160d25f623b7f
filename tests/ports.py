"""Ports for servers the tests start, or for addresses where nothing listens."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A port on 127.0.0.1 that was free a moment ago (bound, then released); nothing listens on
    it, so it also stands for a server that is down."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port
