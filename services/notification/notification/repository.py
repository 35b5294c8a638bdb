"""All SQL of the notification service."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from kit.pagination import CursorParams
from notification.models import DeliveryAttempt, InboxItem, Message, NoticePreference, Recipient

DISPATCH_CHANNEL = "notification_dispatch"

_M = Message.__table__
_A = DeliveryAttempt.__table__


async def wake_dispatchers(session: AsyncSession) -> None:
    """NOTIFY at commit (once per transaction is enough): dispatchers LISTENing pick new work up at once."""
    if not session.info.get("dispatch_notified"):
        await session.execute(text("SELECT pg_notify(:c, '')"), {"c": DISPATCH_CHANNEL})
        session.info["dispatch_notified"] = True


class MessageRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def insert(self, **values: Any) -> uuid.UUID | None:
        """A new message, unless one exists for the same request (or event) and channel: then None."""
        values.setdefault("id", uuid.uuid4())
        result = await self.session.execute(
            insert(_M).values(**values).on_conflict_do_nothing(index_elements=["request_id", "channel"])
            .returning(_M.c.id))
        return result.scalar_one_or_none()

    async def count_recent_otp(self, recipient: str, window_s: int) -> int:
        """OTP messages accepted for this destination within the window (requests refused on arrival don't count)."""
        result = await self.session.execute(
            select(func.count()).select_from(_M).where(
                _M.c.recipient == recipient, _M.c.kind == "otp",
                _M.c.created_at > func.now() - func.make_interval(0, 0, 0, 0, 0, 0, window_s),
                or_(_M.c.state != "failed", _M.c.attempts > 0)))
        return int(result.scalar_one())

    async def claim_due(self, limit: int, lease_s: float) -> list[dict[str, Any]]:
        """Due queued messages nobody holds, leased to the caller (FOR UPDATE SKIP LOCKED: workers never share)."""
        rows = await self.session.execute(text("""
            UPDATE message m SET lease_until = now() + make_interval(secs => :lease)
            FROM (SELECT id FROM message
                  WHERE state = 'queued' AND next_attempt_at <= now()
                    AND (lease_until IS NULL OR lease_until < now())
                  ORDER BY next_attempt_at LIMIT :n FOR UPDATE SKIP LOCKED) due
            WHERE m.id = due.id
            RETURNING m.id, m.kind, m.channel, m.recipient, m.template, m.locale, m.params, m.request_id,
                      m.account_id, m.taxpayer, m.sealed_code, m.expires_at, m.attempts, m.rounds,
                      m.suspect_provider
        """), {"lease": lease_s, "n": limit})
        return [dict(r) for r in rows.mappings()]

    async def failed_providers(self, message_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, set[str]]:
        rows = await self.session.execute(
            select(_A.c.message_id, _A.c.provider).where(
                _A.c.message_id.in_(message_ids), _A.c.state.in_(("failed", "rejected", "unconfirmed"))))
        out: dict[uuid.UUID, set[str]] = {}
        for message_id, provider in rows:
            out.setdefault(message_id, set()).add(provider)
        return out

    async def add_attempts(self, attempts: Sequence[dict[str, Any]]) -> None:
        if attempts:
            await self.session.execute(insert(_A), list(attempts))

    async def update_claimed(self, message_id: uuid.UUID, **values: Any) -> bool:
        """Write the outcome of a dispatch, if the message is still queued (nobody else decided meanwhile)."""
        result = await self.session.execute(
            update(_M).where(_M.c.id == message_id, _M.c.state == "queued")
            .values(lease_until=None, updated_at=func.now(), **values).returning(_M.c.id))
        return result.scalar_one_or_none() is not None

    async def requeue_unreported(self, limit: int = 500) -> list[tuple[uuid.UUID, str]]:
        """Sent messages whose delivery report is overdue go back to the queue, to fail over to another provider."""
        rows = (await self.session.execute(text("""
            UPDATE message m SET state = 'queued', next_attempt_at = now(), report_deadline = NULL,
                   suspect_provider = m.provider, error = 'no delivery report from ' || m.provider,
                   updated_at = now()
            FROM (SELECT id FROM message WHERE state = 'sent' AND report_deadline < now()
                  ORDER BY report_deadline LIMIT :n FOR UPDATE SKIP LOCKED) due
            WHERE m.id = due.id
            RETURNING m.id, m.provider
        """), {"n": limit})).all()
        if rows:
            await self.session.execute(
                update(_A).where(_A.c.message_id.in_([r[0] for r in rows]), _A.c.state == "accepted")
                .values(state="unconfirmed", reported_at=func.now(), error="no delivery report in time"))
        return [(r[0], r[1]) for r in rows]

    async def attempt_by_provider_id(self, provider: str, provider_message_id: str) -> DeliveryAttempt | None:
        result = await self.session.execute(select(DeliveryAttempt).where(
            DeliveryAttempt.provider == provider, DeliveryAttempt.provider_message_id == provider_message_id))
        return result.scalar_one_or_none()

    async def get_for_update(self, message_id: uuid.UUID) -> Message | None:
        result = await self.session.execute(
            select(Message).where(Message.id == message_id).with_for_update().execution_options(
                populate_existing=True))
        return result.scalar_one_or_none()

    async def get(self, message_id: uuid.UUID) -> Message | None:
        return await self.session.get(Message, message_id)

    async def find(self, *, request_id: str) -> list[Message]:
        result = await self.session.execute(
            select(Message).where(Message.request_id == request_id).order_by(Message.created_at))
        return list(result.scalars())

    async def attempts_of(self, message_id: uuid.UUID) -> list[DeliveryAttempt]:
        result = await self.session.execute(
            select(DeliveryAttempt).where(DeliveryAttempt.message_id == message_id).order_by(DeliveryAttempt.id))
        return list(result.scalars())


class RecipientRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, taxpayer: str) -> Recipient | None:
        return await self.session.get(Recipient, taxpayer)

    async def upsert(self, taxpayer: str, **values: Any) -> Recipient:
        stmt = insert(Recipient).values(taxpayer=taxpayer, **values)
        if values:
            stmt = stmt.on_conflict_do_update(index_elements=["taxpayer"],
                                              set_={**{k: stmt.excluded[k] for k in values}, "updated_at": func.now()})
        else:
            stmt = stmt.on_conflict_do_nothing()
        await self.session.execute(stmt)
        recipient = await self.session.get(Recipient, taxpayer, populate_existing=True)
        assert recipient is not None
        return recipient


class PreferenceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def disabled(self, taxpayer: str) -> set[str]:
        rows = await self.session.execute(select(NoticePreference.notice).where(
            NoticePreference.taxpayer == taxpayer, NoticePreference.enabled.is_(False)))
        return set(rows.scalars())

    async def is_enabled(self, taxpayer: str, notice: str) -> bool:
        row = await self.session.execute(select(NoticePreference.enabled).where(
            NoticePreference.taxpayer == taxpayer, NoticePreference.notice == notice))
        enabled = row.scalar_one_or_none()
        return True if enabled is None else bool(enabled)

    async def set(self, taxpayer: str, notice: str, enabled: bool) -> None:
        stmt = insert(NoticePreference).values(taxpayer=taxpayer, notice=notice, enabled=enabled)
        await self.session.execute(stmt.on_conflict_do_update(
            index_elements=["taxpayer", "notice"], set_={"enabled": stmt.excluded.enabled, "updated_at": func.now()}))


@dataclass
class InboxSlice:
    items: list[InboxItem]
    has_more: bool


class InboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, **values: Any) -> uuid.UUID | None:
        values.setdefault("id", uuid.uuid4())
        result = await self.session.execute(
            insert(InboxItem).values(**values)
            .on_conflict_do_nothing(index_elements=["taxpayer", "source_event_id", "notice"])
            .returning(InboxItem.id))
        return result.scalar_one_or_none()

    async def page(self, taxpayer: str, params: CursorParams, *, unread_only: bool = False) -> InboxSlice:
        """Newest first, keyset on (created_at, id)."""
        query = select(InboxItem).where(InboxItem.taxpayer == taxpayer)
        if unread_only:
            query = query.where(InboxItem.read_at.is_(None))
        if params.after is not None:
            a = params.after
            query = query.where(or_(InboxItem.created_at < a.created_at,
                                    and_(InboxItem.created_at == a.created_at, InboxItem.id < a.id)))
        query = query.order_by(InboxItem.created_at.desc(), InboxItem.id.desc()).limit(params.limit + 1)
        items = list((await self.session.execute(query)).scalars())
        return InboxSlice(items[:params.limit], len(items) > params.limit)

    async def unread_count(self, taxpayer: str) -> int:
        result = await self.session.execute(select(func.count()).select_from(InboxItem).where(
            InboxItem.taxpayer == taxpayer, InboxItem.read_at.is_(None)))
        return int(result.scalar_one())

    async def mark_read(self, item_id: uuid.UUID, taxpayers: Sequence[str], at: datetime) -> InboxItem | None:
        item = (await self.session.execute(
            select(InboxItem).where(InboxItem.id == item_id, InboxItem.taxpayer.in_(list(taxpayers)))
            .with_for_update())).scalar_one_or_none()
        if item is not None and item.read_at is None:
            item.read_at = at
            await self.session.flush()
        return item
