"""What the sandboxes received, and how each sandbox provider is told to behave."""

from __future__ import annotations

import time
import uuid
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from sandbox.mail import parse_email

Mode = Literal["ok", "slow", "fail", "drop", "reject"]
MODES: tuple[str, ...] = ("ok", "slow", "fail", "drop", "reject")


@dataclass
class Received:
    channel: Literal["sms", "email"]
    provider: str
    recipient: str
    body: str = ""
    subject: str | None = None
    sender: str | None = None
    reference: str | None = None
    raw: bytes | None = None  # an e-mail as received: subject and body are read from it on first use
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    received_at: float = field(default_factory=time.time)

    def as_json(self) -> dict[str, Any]:
        if self.raw is not None:
            self.subject, self.body = parse_email(self.raw)
            self.raw = None
        return {
            "id": self.id, "channel": self.channel, "provider": self.provider, "recipient": self.recipient,
            "sender": self.sender, "subject": self.subject, "body": self.body, "reference": self.reference,
            "received_at": datetime.fromtimestamp(self.received_at, UTC).isoformat(),
            "received_at_unix": self.received_at,
        }


@dataclass
class ProviderMode:
    mode: str = "ok"
    delay_ms: int = 0


class Store:
    def __init__(self, keep: int) -> None:
        self.messages: deque[Received] = deque(maxlen=keep)
        self.modes: dict[str, ProviderMode] = {}
        self.counts: Counter[tuple[str, str]] = Counter()  # (provider, outcome)

    def mode_of(self, provider: str) -> ProviderMode:
        return self.modes.setdefault(provider, ProviderMode())

    def keep(self, message: Received) -> None:
        self.messages.append(message)
        self.counts[(message.provider, "kept")] += 1

    def count(self, provider: str, outcome: str) -> None:
        self.counts[(provider, outcome)] += 1

    def find(self, *, to: str | None, channel: str | None, provider: str | None, limit: int) -> list[Received]:
        found = []
        wanted = _normalise(to) if to else None
        for message in reversed(self.messages):
            if wanted is not None and _normalise(message.recipient) != wanted:
                continue
            if channel and message.channel != channel:
                continue
            if provider and message.provider != provider:
                continue
            found.append(message)
            if len(found) >= limit:
                break
        return found

    def reset(self) -> None:
        self.messages.clear()
        self.modes.clear()
        self.counts.clear()


def _normalise(address: str) -> str:
    address = address.strip()
    return address.lower() if "@" in address else address.replace(" ", "")
