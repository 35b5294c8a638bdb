"""Completion webhooks for integrators (PJAP): when an upload or a signing job ends, a `webhook_delivery` row is
written in the job's final transaction (durable: no completion without its webhook), and the job loop sends it
(never inside a transaction) with httpx, retrying with capped exponential back-off up to `max_attempts`.

Signature: header `Lontar-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(key, "<t>.<raw body>")>`, where key =
`client_key(secret, client_id)` = hex HMAC-SHA256(settings.webhooks.secret, client id) — a key per client, from one
server secret; the client reads its key at `GET /v1/webhook-secret`. Receivers check it with `verify`."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from kit.auth import Principal
from sqlalchemy import insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from invoice.errors import CallbackUrlInvalid
from invoice.models import webhook_delivery
from invoice.settings import WebhookSettings

log = logging.getLogger(__name__)
HEADER = "Lontar-Signature"


def check_url(url: str | None) -> str | None:
    """Only absolute http(s) URLs with a host; anything else → 422 `webhook.url_invalid`."""
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or len(url) > 2000 or parts.username:
        raise CallbackUrlInvalid("callback_url must be an absolute http:// or https:// URL")
    return url


def client_of(principal: Principal) -> str:
    """The caller's client id: the token's `client_id`/`azp` claim, else its subject."""
    c = principal.claims
    return str(c.get("client_id") or c.get("azp") or principal.subject)


def client_key(secret: str, client_id: str) -> str:
    return hmac.new(secret.encode(), client_id.encode(), hashlib.sha256).hexdigest()


def sign(key: str, body: bytes, t: int | None = None) -> str:
    t = int(time.time()) if t is None else t
    mac = hmac.new(key.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def verify(key: str, header: str, body: bytes, tolerance_s: int = 300, now: float | None = None) -> bool:
    """For integrators: True when `header` signs `body` (raw bytes as received) with `key`, within the tolerance."""
    try:
        fields = dict(p.split("=", 1) for p in header.split(","))
        t = int(fields["t"])
    except (ValueError, KeyError):
        return False
    if abs((time.time() if now is None else now) - t) > tolerance_s:
        return False
    expected = hmac.new(key.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields.get("v1", ""))


async def enqueue(s: AsyncSession, *, event_type: str, subject_id: uuid.UUID, url: str | None, client_id: str | None,
                  state: str, counts: dict[str, int]) -> None:
    """In the job's final transaction: the delivery row (nothing when no callback was asked)."""
    if not url:
        return
    body = json.dumps({"type": event_type, "id": str(subject_id), "state": state, "counts": counts,
                       "finished_at": datetime.now(UTC).isoformat()}, separators=(",", ":"))
    await s.execute(insert(webhook_delivery).values(
        id=uuid.uuid4(), event_type=event_type, subject_id=subject_id, url=url, client_id=client_id or "",
        body=body, state="pending"))


def backoff(settings: WebhookSettings, attempts: int) -> float:
    return float(min(settings.backoff_cap_s, settings.backoff_base_s * 2 ** max(attempts - 1, 0)))


async def deliver_due(sessions: async_sessionmaker[AsyncSession], settings: WebhookSettings,
                      http: httpx.AsyncClient) -> int:
    """Send the deliveries that are due. Claimed first (short transaction: attempts + 1, next_attempt_at pushed past
    the request timeout, so another process does not send it meanwhile), POSTed with no transaction open, then
    marked delivered, rescheduled (back-off) or failed (attempts exhausted). Returns how many were tried."""
    async with sessions() as s, s.begin():
        rows = (await s.execute(text(
            "UPDATE webhook_delivery SET attempts = attempts + 1, "
            "next_attempt_at = now() + make_interval(secs => :lease) WHERE id IN (SELECT id FROM webhook_delivery "
            "WHERE state = 'pending' AND next_attempt_at <= now() ORDER BY next_attempt_at LIMIT :n "
            "FOR UPDATE SKIP LOCKED) RETURNING id, url, client_id, body, attempts"),
            {"lease": settings.timeout_s * 2 + 5, "n": settings.batch})).mappings().all()
    secret = settings.secret.get_secret_value()
    for row in rows:
        body = row["body"].encode()
        error = None
        try:
            r = await http.post(row["url"], content=body, headers={
                "content-type": "application/json", HEADER: sign(client_key(secret, row["client_id"]), body),
                "Lontar-Delivery": str(row["id"])})
            if not 200 <= r.status_code < 300:
                error = f"HTTP {r.status_code}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:300]
        async with sessions() as s, s.begin():
            if error is None:
                values: dict[str, Any] = {"state": "delivered", "delivered_at": text("now()"), "last_error": None}
            elif row["attempts"] >= settings.max_attempts:
                values = {"state": "failed", "last_error": error}
            else:
                values = {"last_error": error, "next_attempt_at": text(
                    f"now() + make_interval(secs => {backoff(settings, row['attempts'])})")}
            await s.execute(update(webhook_delivery).where(webhook_delivery.c.id == row["id"]).values(**values))
        if error is not None:
            log.warning("webhook delivery failed", extra={"delivery_id": str(row["id"]), "error": error,
                                                          "attempts": row["attempts"]})
    return len(rows)


async def deliveries(sessions: async_sessionmaker[AsyncSession], subject_id: uuid.UUID) -> list[dict[str, Any]]:
    async with sessions() as s:
        return [dict(r) for r in (await s.execute(select(webhook_delivery).where(
            webhook_delivery.c.subject_id == subject_id))).mappings()]
