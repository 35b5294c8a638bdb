"""Prometheus metrics of the notification service (served by the API's and the worker's /metrics)."""

from prometheus_client import Counter, Gauge, Histogram

REJECTED = Counter(
    "notification_rejected_total",
    "Requests and notices refused without sending, by reason (invalid_destination, unknown_template, "
    "sealed_payload_unreadable, expired, rate_limited, no_provider)",
    ["kind", "reason"],
)
WEBHOOKS_REJECTED = Counter(
    "notification_webhooks_rejected_total",
    "Provider webhooks refused, by reason (invalid_signature, unknown_provider, malformed, unknown_message)",
    ["provider", "reason"],
)
WEBHOOKS_APPLIED = Counter("notification_webhooks_applied_total", "Delivery reports applied", ["provider", "status"])
ATTEMPTS = Counter(
    "notification_provider_attempts_total", "Hand-overs to providers, by outcome", ["provider", "channel", "outcome"])
LATENCY = Histogram(
    "notification_provider_latency_seconds", "Time a provider took to accept (or refuse) a message",
    ["provider", "channel"], buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10),
)
CIRCUIT = Gauge("notification_provider_circuit_state", "0 closed, 1 half-open, 2 open (per worker process)",
                ["provider"])
MESSAGES = Counter("notification_messages_total", "Messages reaching a state", ["kind", "channel", "state"])
