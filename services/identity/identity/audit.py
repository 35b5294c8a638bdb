"""The audit log: every security-relevant action, written in the same transaction as the action itself."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from identity.models import AuditEvent


async def record(session: AsyncSession, action: str, *, outcome: str = "success", actor: str | None = None,
                 acting_for: str | None = None, ip: str | None = None, details: dict[str, Any] | None = None) -> None:
    session.add(AuditEvent(action=action, outcome=outcome, actor_id=actor, acting_for=acting_for, ip=ip,
                           details=details or {}))
