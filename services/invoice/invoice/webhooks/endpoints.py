"""The caller's webhook signing key."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from invoice.settings import InvoiceSettings
from invoice.webhooks import service
from invoice.webhooks.schemas import WebhookSecretRead
from kit.auth import CurrentPrincipal
from kit.dependencies import settings_of

router = APIRouter(tags=["invoices", "webhooks"])
Settings = Annotated[InvoiceSettings, settings_of(InvoiceSettings)]


@router.get("/v1/webhook-secret", response_model=WebhookSecretRead,
            summary="Your client's webhook signing key (HMAC-SHA256 of `t.body`, header Lontar-Signature)")
async def get_webhook_secret(principal: CurrentPrincipal, settings: Settings) -> WebhookSecretRead:
    return service.webhook_secret(principal, settings)
