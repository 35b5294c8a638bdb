"""Delivery reports from providers (webhooks): authenticated by an HMAC-SHA256 signature over the raw body with the
provider's webhook secret (`X-Signature: sha256=<hex>`), then applied to the message.

A positive report marks the message delivered. A negative one sends it back to the queue for the next provider (or
fails it when it has no attempts or time left). Reports are idempotent: a repeated one changes nothing. A report for
a message id not recorded yet (it can overtake the dispatcher's own write) answers 404 so the provider retries.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re

from pydantic import ValidationError

from kit.db import UnitOfWork
from notification.clock import utcnow
from notification.errors import InvalidSignature, MalformedReport, UnknownProvider, UnknownProviderMessage
from notification.metrics import MESSAGES, WEBHOOKS_APPLIED, WEBHOOKS_REJECTED
from notification.outcomes import report_delivered, report_failed
from notification.repository import MessageRepository, wake_dispatchers
from notification.schemas import DeliveryReport, ReportApplied
from notification.settings import NotificationSettings, SmsProviderSettings

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "x-signature"


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def authenticate_report(settings: NotificationSettings, provider: str, body: bytes,
                        signature_header: str | None) -> tuple[SmsProviderSettings, DeliveryReport]:
    config = next((p for p in settings.sms.providers if p.name == provider), None)
    if config is None:
        WEBHOOKS_REJECTED.labels("unknown", "unknown_provider").inc()
        raise UnknownProvider(f"no provider {provider!r} is configured")
    expected = signature(config.webhook_secret.get_secret_value(), body)
    if not signature_header or not hmac.compare_digest(signature_header.strip().encode(), expected.encode()):
        WEBHOOKS_REJECTED.labels(provider, "invalid_signature").inc()
        log.warning("forged or unsigned webhook refused", extra={"provider": provider})
        raise InvalidSignature("the X-Signature header does not match the body")
    try:
        return config, DeliveryReport.model_validate(json.loads(body))
    except (ValueError, ValidationError) as exc:
        WEBHOOKS_REJECTED.labels(provider, "malformed").inc()
        raise MalformedReport(str(exc)[:300]) from None


async def apply_report(uow: UnitOfWork, settings: NotificationSettings, provider: str,
                       report: DeliveryReport) -> ReportApplied:
    delivered = report.status == "delivered"
    async with uow:
        repo = MessageRepository(uow.session)
        found = await repo.lock_reported(provider, report.id)
        if found is None:
            WEBHOOKS_REJECTED.labels(provider, "unknown_message").inc()
            raise UnknownProviderMessage(f"no message {report.id!r} from {provider}")
        message, state = found.message, found.message["state"]
        if found.attempt_state in ("delivered", "rejected") or (found.attempt_state == "unconfirmed" and not delivered):
            return ReportApplied(status="duplicate", message_state=state)
        now = utcnow()
        common = dict(message_id=message["id"], kind=message["kind"], request_id=message["request_id"],
                      account_id=message["account_id"], channel=message["channel"])
        counted: str | None = None
        if delivered:
            await repo.set_attempt_reported(found.attempt_id, state="delivered")
            if state != "delivered":
                await repo.mark_delivered(message["id"])
                state, counted = "delivered", "delivered"
                await report_delivered(uow.session, **common, provider=provider, status="delivered", at=now)
        else:
            reason = _reason(report)
            await repo.set_attempt_reported(found.attempt_id, state="rejected", error=reason)
            current = state == "sent" and message["provider"] == provider and \
                message["provider_message_id"] == report.id
            if current:
                expired = message["expires_at"] is not None and message["expires_at"] <= now
                if message["attempts"] >= settings.delivery.max_attempts or expired:
                    error = "expired: the code expired before it could be delivered" if expired \
                        else f"undeliverable: {provider}: {reason}"
                    await repo.fail_reported(message["id"], error=error)
                    state, counted = "failed", "failed"
                    await report_failed(uow.session, **common, reason=error[:500], attempts=message["attempts"],
                                        at=now)
                else:  # back to the queue: the dispatcher tries the next provider
                    await repo.requeue_for_failover(message["id"], suspect_provider=provider,
                                                    error=f"{provider}: {reason}")
                    state = "queued"
                    await wake_dispatchers(uow.session)
        await uow.commit()
        if counted:
            MESSAGES.labels(message["kind"], message["channel"], counted).inc()
        WEBHOOKS_APPLIED.labels(provider, "delivered" if delivered else "failed").inc()
        log.info("delivery report applied", extra={"message_id": str(message["id"]), "provider": provider,
                                                   "status": report.status, "message_state": state})
        return ReportApplied(status="applied", message_state=state)


def _reason(report: DeliveryReport) -> str:
    # A provider's words are not ours to store verbatim: printable only, short, and no digit runs (a careless
    # provider could echo the text it was sent, code included).
    detail = re.sub(r"\d{4,}", "****", "".join(c for c in (report.error or "") if c.isprintable()))[:200]
    return f"reported {report.status}" + (f": {detail}" if detail else "")
