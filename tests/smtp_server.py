"""A real SMTP server for the tests (aiosmtpd on 127.0.0.1): the ``smtp`` fixture, registered
for every test module by tests/conftest.py."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from core.settings import get_settings


@dataclass
class Handler:
    """Records what arrives. ``replies`` scripts the answer to each DATA in turn,
    ``mail_replies`` to each MAIL FROM; ``refuse`` answers RCPT TO for some addresses;
    ``delay`` (s) slows each DATA; ``on_accept`` runs (in the server's thread) as a message
    is accepted."""

    replies: list[str] = field(default_factory=list)
    mail_replies: list[str] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    on_accept: Callable[[], None] | None = None
    received: list[email.message.EmailMessage] = field(default_factory=list)
    peers: list[Any] = field(default_factory=list)
    envelopes: list[list[str]] = field(default_factory=list)  # each message's RCPT TO

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        reply = self.mail_replies.pop(0) if self.mail_replies else "250 OK"
        if reply.startswith("250"):
            envelope.mail_from = address
            envelope.mail_options.extend(options)
        return reply

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        reply = self.replies.pop(0) if self.replies else "250 OK"
        if reply == "drop":  # the connection dies in the middle of DATA
            server.transport.close()
            return "250 never seen"
        if reply.startswith("250"):
            msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
            assert isinstance(msg, EmailMessage)
            self.received.append(msg)
            self.envelopes.append(list(envelope.rcpt_tos))
            self.peers.append(session.peer)
            if self.on_accept is not None:
                self.on_accept()
        return reply


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Server:
    handler: Handler
    port: int


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """``start(**controller_kwargs) -> Server``; the app is pointed at it."""
    controllers: list[Controller] = []

    def start(**kwargs: Any) -> Server:
        handler, port = Handler(), free_port()
        # server_hostname and HELO name given: no FQDN lookup, slow where DNS is
        kwargs.setdefault("server_hostname", "localhost")
        controller = Controller(handler, hostname="127.0.0.1", port=port, **kwargs)
        controller.start()
        controllers.append(controller)
        monkeypatch.setenv("HOSHO_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("HOSHO_SMTP_PORT", str(port))
        monkeypatch.setenv("HOSHO_SMTP_TIMEOUT", "5")
        monkeypatch.setenv("HOSHO_SMTP_HELO_NAME", "desk.example.jp")
        monkeypatch.setenv("HOSHO_MAIL_FROM", "hosho@kumamoto.example.jp")
        get_settings.cache_clear()
        return Server(handler, port)

    yield start
    for c in controllers:
        c.stop()
