"""aiokafka clients built from settings, so every address and security option comes from the environment, and the
topic admin helper of dev and test."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.helpers import create_ssl_context

from kit.settings import KafkaSettings


def client_options(settings: KafkaSettings, client_id: str) -> dict[str, Any]:
    """Connection options shared by every client (address, TLS, SASL), for aiokafka constructors."""
    options: dict[str, Any] = {
        "bootstrap_servers": settings.bootstrap_servers,
        "client_id": settings.client_id or client_id,
        "request_timeout_ms": settings.request_timeout_ms,
        "security_protocol": settings.security_protocol,
    }
    if settings.security_protocol in ("SSL", "SASL_SSL"):
        options["ssl_context"] = create_ssl_context(
            cafile=settings.ssl_cafile, certfile=settings.ssl_certfile, keyfile=settings.ssl_keyfile)
    if settings.sasl_mechanism:
        options["sasl_mechanism"] = settings.sasl_mechanism
        options["sasl_plain_username"] = settings.sasl_username
        options["sasl_plain_password"] = settings.sasl_password.get_secret_value() if settings.sasl_password else None
    return options


def make_producer(settings: KafkaSettings, client_id: str, *, linger_ms: int | None = None) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        **client_options(settings, client_id),
        acks="all",
        enable_idempotence=settings.enable_idempotence,
        linger_ms=settings.linger_ms if linger_ms is None else linger_ms,
        max_batch_size=256 * 1024,
    )


def make_consumer(settings: KafkaSettings, client_id: str, *, group_id: str, max_records: int) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        **client_options(settings, client_id),
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=max_records,
        fetch_max_wait_ms=settings.fetch_max_wait_ms,
        session_timeout_ms=settings.session_timeout_ms,
        heartbeat_interval_ms=settings.heartbeat_interval_ms,
        isolation_level="read_uncommitted",
    )


def headers_dict(headers: Any) -> dict[str, str]:
    return {k: v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for k, v in headers or ()}


def headers_list(headers: dict[str, str]) -> list[tuple[str, bytes]]:
    return [(k, v.encode()) for k, v in headers.items()]


async def create_topics(bootstrap: str, topics: Iterable[tuple[str, int]], *, timeout: float = 20.0) -> None:
    """Create each (name, partitions) topic that does not exist yet. Dev and test only: production declares topics."""
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
        try:
            await admin.start()
            existing = set(await admin.list_topics())
            missing = [NewTopic(name, parts, 1) for name, parts in topics if name not in existing]
            if missing:
                await admin.create_topics(missing)
            return
        except Exception:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.2)
        finally:
            await admin.close()
