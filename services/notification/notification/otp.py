"""OTP delivery requests from identity (`notification.commands`): checked, rate-limited and queued.

The sealed code is kept sealed: this module never opens it. It is stored only so the dispatcher can open it just
before handing the message to a provider, and erased when the message is delivered, fails or expires. Subject and
body are stored rendered with the code replaced by ******.
"""

from __future__ import annotations

import logging
import math
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.envelope import Envelope
from contracts.notification import OTPDeliveryRequested
from notification.addresses import InvalidDestination, mask, normalise
from notification.clock import utcnow, wib
from notification.metrics import MESSAGES, REJECTED
from notification.outcomes import report_failed
from notification.repository import MessageRepository, wake_dispatchers
from notification.settings import NotificationSettings
from notification.templating import REDACTED, Catalogue, UnknownTemplate, otp_template_name

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Context:
    """What consumer handlers need besides the session."""

    settings: NotificationSettings
    catalogue: Catalogue


def otp_params(expires_at: datetime | None, now: datetime) -> dict[str, Any]:
    if expires_at is None:
        return {"minutes": "-", "valid_until": "-"}
    minutes = max(1, math.ceil((expires_at - now).total_seconds() / 60))
    return {"minutes": minutes, "valid_until": wib(expires_at, "%H:%M")}


class Rejected(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


async def accept_otp_request(session: AsyncSession, envelope: Envelope, request: OTPDeliveryRequested,
                             ctx: Context) -> uuid.UUID | None:
    """Queue the message, or record it as failed (and report NotificationFailed) with the reason it cannot be sent.
    A request seen before (same request id and channel) changes nothing. Returns the new message's id."""
    messages = MessageRepository(session)
    now = utcnow()
    template_name = otp_template_name(request.purpose)
    recipient = request.destination.strip()[:254]
    try:
        recipient = normalise(request.channel, request.destination)
        template = ctx.catalogue.get(template_name, request.channel)
        if request.expires_at <= now:
            raise Rejected("expired", f"the code expired at {request.expires_at.isoformat()}")
        limits = ctx.settings.limits
        if await messages.count_recent_otp(recipient, limits.otp_window_s) >= limits.otp_per_destination:
            raise Rejected("rate_limited", f"more than {limits.otp_per_destination} codes to this destination "
                                           f"within {limits.otp_window_s} s")
    except InvalidDestination as exc:
        return await _reject(messages, request, recipient, template_name, "invalid_destination", str(exc), now)
    except UnknownTemplate as exc:
        return await _reject(messages, request, recipient, template_name, "unknown_template", str(exc), now)
    except Rejected as exc:
        return await _reject(messages, request, recipient, template_name, exc.reason, exc.detail, now)

    params = {"expires_at": request.expires_at.isoformat(), "purpose": request.purpose}
    redacted = template.render(request.channel, request.locale,
                               {**otp_params(request.expires_at, now), "code": REDACTED},
                               default_locale=ctx.settings.default_locale)
    message_id = await messages.insert(
        kind="otp", channel=request.channel, recipient=recipient, template=template_name, locale=redacted.locale,
        subject=redacted.subject, body=redacted.body, params=params, state="queued", request_id=request.request_id,
        account_id=request.account_id, sealed_code=request.sealed_code, expires_at=request.expires_at)
    if message_id is None:
        log.info("OTP request seen before", extra={"request_id": request.request_id})
        return None
    MESSAGES.labels("otp", request.channel, "queued").inc()
    log.info("OTP queued", extra={"message_id": str(message_id), "request_id": request.request_id,
                                  "channel": request.channel, "to": mask(request.channel, recipient)})
    await wake_dispatchers(session)
    return message_id


async def _reject(messages: MessageRepository, request: OTPDeliveryRequested, recipient: str, template: str,
                  reason: str, detail: str, now: datetime) -> uuid.UUID | None:
    message_id = await messages.insert(
        kind="otp", channel=request.channel, recipient=recipient, template=template, locale=request.locale,
        subject=None, body="", params={"purpose": request.purpose}, state="failed", request_id=request.request_id,
        account_id=request.account_id, expires_at=request.expires_at, error=f"{reason}: {detail}"[:500],
        failed_at=now)
    if message_id is None:
        return None
    REJECTED.labels("otp", reason).inc()
    MESSAGES.labels("otp", request.channel, "failed").inc()
    log.warning("OTP request refused", extra={"message_id": str(message_id), "request_id": request.request_id,
                                              "reason": reason, "detail": detail})
    await report_failed(messages.session, message_id=message_id, kind="otp", request_id=request.request_id,
                        account_id=request.account_id, channel=request.channel, reason=f"{reason}: {detail}",
                        attempts=0, at=now)
    return message_id
