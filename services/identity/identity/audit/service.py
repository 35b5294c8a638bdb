"""Writing and reading the audit log. `record` is a step of other use cases: it adds the row to the caller's
transaction and never commits."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from identity.audit.repository import AuditRepository, AuditRow
from identity.models import AuditEvent
from kit.db import UnitOfWork
from kit.pagination import CursorParams, encode_cursor

__all__ = ["AuditRow", "list_events", "record"]  # AuditRow: for a use case whose repository writes it set-based


async def record(session: AsyncSession, action: str, *, outcome: str = "success", actor: str | None = None,
                 acting_for: str | None = None, ip: str | None = None, details: dict[str, Any] | None = None) -> None:
    AuditRepository(session).add(action=action, outcome=outcome, actor=actor, acting_for=acting_for, ip=ip,
                                 details=details)


async def list_events(uow: UnitOfWork, page: CursorParams, *, actor: str | None, action: str | None,
                      acting_for: str | None) -> tuple[list[AuditEvent], str | None]:
    async with uow:
        rows = await AuditRepository(uow.session).page(page, actor=actor, action=action, acting_for=acting_for)
    more = len(rows) > page.limit
    rows = rows[:page.limit]
    return rows, encode_cursor(rows[-1].at, rows[-1].id) if more else None
