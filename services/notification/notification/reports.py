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
        attempt = await repo.attempt_by_provider_id(provider, report.id)
        if attempt is None:
            WEBHOOKS_REJECTED.labels(provider, "unknown_message").inc()
            raise UnknownProviderMessage(f"no message {report.id!r} from {provider}")
        message = await repo.get_for_update(attempt.message_id)  # lock order: message, then its attempts
        assert message is not None
        await uow.session.refresh(attempt, with_for_update=True)
        if attempt.state in ("delivered", "rejected") or (attempt.state == "unconfirmed" and not delivered):
            return ReportApplied(status="duplicate", message_state=message.state)
        now = utcnow()
        attempt.reported_at = now
        common = dict(message_id=message.id, kind=message.kind, request_id=message.request_id,
                      account_id=message.account_id, channel=message.channel)
        if delivered:
            attempt.state = "delivered"
            if message.state != "delivered":
                message.state, message.delivered_at, message.report_deadline = "delivered", now, None
                message.sealed_code, message.lease_until = None, None
                MESSAGES.labels(message.kind, message.channel, "delivered").inc()
                await report_delivered(uow.session, **common, provider=provider, status="delivered", at=now)
        else:
            attempt.state = "rejected"
            attempt.error = _reason(report)
            current = message.state == "sent" and message.provider == provider and \
                message.provider_message_id == report.id
            if current:
                _fail_over(message, provider, attempt.error, settings, now)
                if message.state == "failed":
                    MESSAGES.labels(message.kind, message.channel, "failed").inc()
                    await report_failed(uow.session, **common, reason=message.error or "undeliverable",
                                        attempts=message.attempts, at=now)
                else:
                    await wake_dispatchers(uow.session)
        await uow.commit()
        WEBHOOKS_APPLIED.labels(provider, "delivered" if delivered else "failed").inc()
        log.info("delivery report applied", extra={"message_id": str(message.id), "provider": provider,
                                                   "status": report.status, "message_state": message.state})
        return ReportApplied(status="applied", message_state=message.state)


def _fail_over(message, provider: str, error: str, settings: NotificationSettings, now) -> None:  # type: ignore[no-untyped-def]
    expired = message.expires_at is not None and message.expires_at <= now
    if message.attempts >= settings.delivery.max_attempts or expired:
        message.state, message.failed_at, message.sealed_code = "failed", now, None
        message.error = ("expired: the code expired before it could be delivered" if expired
                         else f"undeliverable: {provider}: {error}")[:500]
    else:
        message.state, message.next_attempt_at, message.suspect_provider = "queued", now, provider
        message.error = f"{provider}: {error}"[:500]
    message.report_deadline = None


def _reason(report: DeliveryReport) -> str:
    # A provider's words are not ours to store verbatim: printable only, short, and no digit runs (a careless
    # provider could echo the text it was sent, code included).
    detail = re.sub(r"\d{4,}", "****", "".join(c for c in (report.error or "") if c.isprintable()))[:200]
    return f"reported {report.status}" + (f": {detail}" if detail else "")
