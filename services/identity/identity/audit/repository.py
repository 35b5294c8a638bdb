"""SQL of the audit log."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from identity.models import AuditEvent
from kit.pagination import CursorParams


class AuditRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, *, action: str, outcome: str, actor: str | None, acting_for: str | None, ip: str | None,
            details: dict[str, Any] | None) -> None:
        self.session.add(AuditEvent(action=action, outcome=outcome, actor_id=actor, acting_for=acting_for, ip=ip,
                                    details=details or {}))

    async def page(self, page: CursorParams, *, actor: str | None, action: str | None,
                   acting_for: str | None) -> list[AuditEvent]:
        """Newest first, one row more than the page holds (so the caller knows whether there is a next page)."""
        query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(page.limit + 1)
        if actor:
            query = query.where(AuditEvent.actor_id == actor)
        if action:
            query = query.where(AuditEvent.action == action)
        if acting_for:
            query = query.where(AuditEvent.acting_for == acting_for)
        if page.after:
            query = query.where(tuple_(AuditEvent.at, AuditEvent.id) < (page.after.created_at, page.after.id))
        return list((await self.session.execute(query)).scalars())
