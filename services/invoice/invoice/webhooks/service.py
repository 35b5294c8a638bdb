"""Invoice's completion webhooks to integrators (PJAP), on `kit.webhooks`: when an upload or a signing job ends, its
webhook is enqueued in the job's final transaction (nothing when no callback was asked); the job loop sends it. Each
client signs with its own key, derived from the server secret, which it reads at `GET /v1/webhook-secret`."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from invoice.settings import InvoiceSettings
from invoice.webhooks.schemas import WebhookSecretRead
from kit import webhooks
from kit.auth import Principal


def client_of(principal: Principal) -> str:
    """The caller's client id: the token's `client_id`/`azp` claim, else its subject."""
    c = principal.claims
    return str(c.get("client_id") or c.get("azp") or principal.subject)


def check_callback_url(url: str | None, settings: InvoiceSettings) -> str | None:
    """At submission: 422 `webhook.url_invalid` / `webhook.url_forbidden` (nothing is created then)."""
    return webhooks.check_url(url, settings.webhooks, settings.env)


def webhook_secret(principal: Principal, settings: InvoiceSettings) -> WebhookSecretRead:
    client = client_of(principal)
    return WebhookSecretRead(client_id=client, algorithm="HMAC-SHA256",
                             key=webhooks.client_key(settings.webhooks.secret.get_secret_value(), client))


async def enqueue_completion(session: AsyncSession, *, event_type: str, subject_id: uuid.UUID, url: str | None,
                             client_id: str | None, state: str, counts: dict[str, int]) -> None:
    """In the job's final transaction: `{type, id, state, counts, finished_at}` to the job's callback URL."""
    if not url:
        return
    await webhooks.enqueue(session, event_type=event_type, subject_id=subject_id, url=url, client_id=client_id or "",
                           payload={"type": event_type, "id": str(subject_id), "state": state, "counts": counts,
                                    "finished_at": datetime.now(UTC).isoformat()})
