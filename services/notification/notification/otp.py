"""OTP delivery requests from identity (`notification.commands`): checked, rate-limited and queued.

The sealed code is kept sealed: this module never opens it. It is stored only so the dispatcher can open it just
before handing the message to a provider, and erased when the message is delivered, fails or expires. Subject and
body are stored rendered with the code replaced by ******.
"""

from __future__ import annotations

import logging
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.notification import OTPDeliveryRequested
from notification.addresses import InvalidDestination, mask, normalise
from notification.clock import utcnow, wib
from notification.metrics import MESSAGES, REJECTED
from notification.outcomes import report_failed
from notification.repository import MessageRepository, wake_dispatchers
from notification.settings import NotificationSettings
from notification.templating import REDACTED, Catalogue, MessageTemplate, UnknownTemplate, otp_template_name

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
    """Why a request is refused on arrival (kept in place of its template)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


async def accept_otp_requests(session: AsyncSession, requests: Sequence[OTPDeliveryRequested],
                              ctx: Context) -> None:
    """Queue each request's message, or record it as failed (and report NotificationFailed) with the reason it cannot
    be sent. A request seen before (same request id and channel) changes nothing. In order: the rate limit counts
    the codes accepted earlier in the same batch."""
    messages = MessageRepository(session)
    now = utcnow()
    limits = ctx.settings.limits
    checked: list[tuple[OTPDeliveryRequested, str, str, MessageTemplate | Rejected]] = []
    for request in requests:
        template_name = otp_template_name(request.purpose)
        try:
            recipient = normalise(request.channel, request.destination)
        except InvalidDestination as exc:
            checked.append((request, request.destination.strip()[:254], template_name,
                            Rejected("invalid_destination", str(exc))))
            continue
        try:
            template: MessageTemplate | Rejected = ctx.catalogue.get(template_name, request.channel)
        except UnknownTemplate as exc:
            template = Rejected("unknown_template", str(exc))
        if not isinstance(template, Rejected) and request.expires_at <= now:
            template = Rejected("expired", f"the code expired at {request.expires_at.isoformat()}")
        checked.append((request, recipient, template_name, template))
    recent = await messages.count_recent_otp({r for _, r, _, t in checked if not isinstance(t, Rejected)},
                                             limits.otp_window_s)
    queued = []
    for request, recipient, template_name, template in checked:
        if not isinstance(template, Rejected) and recent[recipient] >= limits.otp_per_destination:
            template = Rejected("rate_limited", f"more than {limits.otp_per_destination} codes to this destination "
                                                f"within {limits.otp_window_s} s")
        if isinstance(template, Rejected):
            await _reject(messages, request, recipient, template_name, template.reason, template.detail, now)
            continue
        recent[recipient] += 1
        redacted = template.render(request.channel, request.locale,
                                   {**otp_params(request.expires_at, now), "code": REDACTED},
                                   default_locale=ctx.settings.default_locale)
        row = dict(id=uuid.uuid4(), kind="otp", channel=request.channel, recipient=recipient, template=template.name,
                   locale=redacted.locale, subject=redacted.subject, body=redacted.body,
                   params={"expires_at": request.expires_at.isoformat(), "purpose": request.purpose},
                   state="queued", request_id=request.request_id, account_id=request.account_id,
                   sealed_code=request.sealed_code, expires_at=request.expires_at)
        queued.append((request, row))
    made = {row["id"] for row in await messages.insert_many([row for _, row in queued])}
    for request, row in queued:
        if row["id"] not in made:
            log.info("OTP request seen before", extra={"request_id": request.request_id})
            continue
        MESSAGES.labels("otp", request.channel, "queued").inc()
        log.info("OTP queued", extra={"message_id": str(row["id"]), "request_id": request.request_id,
                                      "channel": request.channel, "to": mask(request.channel, row["recipient"])})
    if made:
        await wake_dispatchers(session)


async def _reject(messages: MessageRepository, request: OTPDeliveryRequested, recipient: str, template: str,
                  reason: str, detail: str, now: datetime) -> None:
    message_id = await messages.insert(
        kind="otp", channel=request.channel, recipient=recipient, template=template, locale=request.locale,
        subject=None, body="", params={"purpose": request.purpose}, state="failed", request_id=request.request_id,
        account_id=request.account_id, expires_at=request.expires_at, error=f"{reason}: {detail}"[:500],
        failed_at=now)
    if message_id is None:
        return
    REJECTED.labels("otp", reason).inc()
    MESSAGES.labels("otp", request.channel, "failed").inc()
    log.warning("OTP request refused", extra={"message_id": str(message_id), "request_id": request.request_id,
                                              "reason": reason, "detail": detail})
    await report_failed(messages.session, message_id=message_id, kind="otp", request_id=request.request_id,
                        account_id=request.account_id, channel=request.channel, reason=f"{reason}: {detail}",
                        attempts=0, at=now)
