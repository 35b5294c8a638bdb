"""SQL of one-time codes."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from identity.models import OTPChallenge


class OTPRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, challenge: OTPChallenge) -> None:
        self.session.add(challenge)

    async def supersede_live(self, *, subject_id: str, purpose: str, channel: str, now: datetime) -> None:
        await self.session.execute(
            update(OTPChallenge)
            .where(OTPChallenge.subject_id == subject_id, OTPChallenge.purpose == purpose,
                   OTPChallenge.channel == channel, OTPChallenge.verified_at.is_(None),
                   OTPChallenge.superseded_at.is_(None))
            .values(superseded_at=now)
        )

    async def last_issued_at(self, *, subject_id: str, purpose: str, channel: str) -> datetime | None:
        return (await self.session.execute(
            select(func.max(OTPChallenge.created_at)).where(
                OTPChallenge.subject_id == subject_id, OTPChallenge.purpose == purpose,
                OTPChallenge.channel == channel)
        )).scalar_one()

    async def count_to_destination_since(self, destination: str, since: datetime) -> int:
        return int((await self.session.execute(
            select(func.count()).where(OTPChallenge.destination == destination, OTPChallenge.created_at > since)
        )).scalar_one())

    async def count_from_ip_since(self, ip: str, since: datetime) -> int:
        return int((await self.session.execute(
            select(func.count()).where(OTPChallenge.requester_ip == ip, OTPChallenge.created_at > since)
        )).scalar_one())

    async def live_for_update(self, *, subject_id: str, purpose: str, channel: str) -> OTPChallenge | None:
        """The newest challenge not verified nor superseded, locked: attempts are counted one at a time."""
        return (await self.session.execute(
            select(OTPChallenge).where(
                OTPChallenge.subject_id == subject_id, OTPChallenge.purpose == purpose,
                OTPChallenge.channel == channel, OTPChallenge.superseded_at.is_(None),
                OTPChallenge.verified_at.is_(None))
            .order_by(OTPChallenge.created_at.desc()).limit(1).with_for_update()
        )).scalar_one_or_none()

    async def not_superseded(self, subject_id: str) -> list[OTPChallenge]:
        return list((await self.session.execute(
            select(OTPChallenge).where(OTPChallenge.subject_id == subject_id, OTPChallenge.superseded_at.is_(None))
            .order_by(OTPChallenge.created_at)
        )).scalars())

    async def latest_channel(self, subject_id: str) -> str | None:
        return (await self.session.execute(
            select(OTPChallenge.channel).where(OTPChallenge.subject_id == subject_id)
            .order_by(OTPChallenge.created_at.desc()).limit(1)
        )).scalar_one_or_none()

    async def set_delivery(self, challenge_id: uuid.UUID, *, state: str, error: str | None) -> None:
        # "delivered" is final; a late "sent" report must not step it back
        await self.session.execute(
            update(OTPChallenge).where(OTPChallenge.id == challenge_id, OTPChallenge.delivery_state != "delivered")
            .values(delivery_state=state, delivery_error=error)
        )
