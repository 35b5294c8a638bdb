"""The facts notification publishes about a message, written to the outbox in the caller's transaction.

Only OTP messages are reported (identity asked for them and tells the user); notices are tracked in the message
table and metrics. Keyed by the account id, like the request. A message has one outcome, so its event is the message's
first and only version (`sequence` 1).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.notification import TOPIC, NotificationDelivered, NotificationFailed
from kit.outbox import publish


async def report_failed(session: AsyncSession, *, message_id: uuid.UUID, kind: str, request_id: str,
                        account_id: str | None, channel: str, reason: str, attempts: int, at: datetime) -> None:
    if kind != "otp" or account_id is None:
        return
    await publish(session, NotificationFailed(message_id=str(message_id), request_id=request_id, channel=channel,
                                              reason=reason[:500], attempts=attempts, at=at),
                  key=account_id, subject=str(message_id), aggregate_type="message", sequence=1, topic=TOPIC)


async def report_delivered(session: AsyncSession, *, message_id: uuid.UUID, kind: str, request_id: str,
                           account_id: str | None, channel: str, provider: str, status: str, at: datetime) -> None:
    if kind != "otp" or account_id is None:
        return
    await publish(session, NotificationDelivered(message_id=str(message_id), request_id=request_id, channel=channel,
                                                 provider=provider, status=status, at=at),  # type: ignore[arg-type]
                  key=account_id, subject=str(message_id), aggregate_type="message", sequence=1, topic=TOPIC)
