"""Events identity consumes: delivery outcomes of OTP messages from the notification service, so a code that could
not be delivered shows as failed to the user, who can then ask for the other channel (seed item 4)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.envelope import Envelope
from contracts.notification import NotificationDelivered, NotificationFailed
from identity.otp import service
from kit.consumer import Handlers

notification_events = Handlers()


@notification_events.on(NotificationDelivered)
async def otp_delivered(session: AsyncSession, envelope: Envelope, event: NotificationDelivered) -> None:
    if event.request_id:
        await service.record_delivery(session, challenge_id=event.request_id, state=event.status, error=None)


@notification_events.on(NotificationFailed)
async def otp_failed(session: AsyncSession, envelope: Envelope, event: NotificationFailed) -> None:
    if event.request_id:
        await service.record_delivery(session, challenge_id=event.request_id, state="failed", error=event.reason)
