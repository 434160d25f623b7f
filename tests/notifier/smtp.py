"""A real SMTP server for the tests (aiosmtpd, in the test process): what it accepts, and a
mailbox it refuses."""

from __future__ import annotations

import asyncio
import email
import threading
from collections import Counter
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

from aiosmtpd.controller import Controller

REFUSED = "gone@council.example"


@dataclass
class Received:
    recipients: list[str]
    message: EmailMessage

    def text(self) -> str:
        """Headers and decoded body: what a person could read."""
        return f"{self.message.as_string()}\n{self.message.get_content()}"


@dataclass
class SmtpServer:
    """An aiosmtpd server on 127.0.0.1 collecting what it accepts; refuses `REFUSED` with a 550."""

    port: int
    received: list[Received] = field(default_factory=list)
    delay: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _controller: Controller | None = None

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address == REFUSED:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        await asyncio.sleep(self.delay)  # lets two dispatchers overlap
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        with self._lock:
            self.received.append(Received(list(envelope.rcpt_tos), message))
        return "250 OK"

    async def start(self) -> None:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        await asyncio.to_thread(self._controller.start)

    async def stop(self) -> None:
        if self._controller is not None:
            await asyncio.to_thread(self._controller.stop)
            self._controller = None

    def to(self, mailbox: str) -> list[Received]:
        with self._lock:
            return [r for r in self.received if mailbox in r.recipients]

    def message_ids(self) -> Counter[str]:
        with self._lock:
            return Counter(str(r.message["Message-ID"]) for r in self.received)
