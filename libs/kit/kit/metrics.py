"""Prometheus metrics of the shared runtime. Every series carries the service name."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter(
    "http_requests_total", "HTTP requests handled", ["service", "method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "http_request_duration_seconds",
    "HTTP request latency",
    ["service", "method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
OUTBOX_PENDING = Gauge("outbox_pending_count", "Outbox rows not yet published", ["service"])
OUTBOX_OLDEST_AGE = Gauge(
    "outbox_oldest_pending_age_seconds", "Age of the oldest unpublished outbox row", ["service"]
)
OUTBOX_PUBLISHED = Counter("outbox_published_total", "Outbox rows published to the broker", ["service"])
OUTBOX_ERRORS = Counter("outbox_publish_errors_total", "Failed outbox publish attempts", ["service"])
RELAY_LEADER = Gauge("outbox_relay_leader", "1 when this process holds the relay lock", ["service"])
CONSUMED = Counter(
    "consumer_events_total",
    "Events seen by a consumer, by outcome (applied, duplicate, ignored, unknown, dead_lettered)",
    ["consumer", "outcome"],
)
CONSUMER_RETRIES = Counter("consumer_retries_total", "Handler retries", ["consumer", "kind"])
