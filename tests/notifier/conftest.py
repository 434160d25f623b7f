"""A running SMTP server for each notifier test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.notifier.smtp import SmtpServer
from tests.ports import free_port


@pytest.fixture
async def smtp() -> AsyncIterator[SmtpServer]:
    """A running SMTP server (a test stops it to see what happens when mail is down)."""
    server = SmtpServer(free_port())
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
