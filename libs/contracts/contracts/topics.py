"""Every topic the platform uses, as data: the local stack and tests create these; production declares the same list
in `deploy/kafka/topics.yaml` (a test keeps the two in step)."""

from __future__ import annotations

from dataclasses import dataclass

SERVICES = ("identity", "invoice", "filing", "payment", "notification")
HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS


@dataclass(frozen=True)
class Topic:
    name: str
    partitions: int
    retention_ms: int


def events_topic(service: str) -> str:
    return f"{service}.events"


def dlq_topic(service: str) -> str:
    return f"{service}.dlq"


COMMANDS_NOTIFICATION = "notification.commands"

TOPICS: tuple[Topic, ...] = (
    *(Topic(events_topic(s), 12, 7 * DAY_MS) for s in SERVICES),
    # Carries sealed OTP delivery requests: short retention by design.
    Topic(COMMANDS_NOTIFICATION, 12, HOUR_MS),
    *(Topic(dlq_topic(s), 3, 30 * DAY_MS) for s in SERVICES),
)
