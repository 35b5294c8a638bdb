"""SQL of the audit log."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BindParameter, bindparam, select, tuple_
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.ext.asyncio import AsyncSession

from identity.models import AuditEvent
from kit.pagination import CursorParams


@dataclass(frozen=True)
class AuditRow:
    action: str
    outcome: str = "success"
    actor: str | None = None
    acting_for: str | None = None
    ip: str | None = None
    details: dict[str, Any] | None = None


# The set-based variant of `AuditRepository.add`, for a use case that writes all its rows in one statement (a
# login): the row as a data-modifying CTE named `audit`, its parameters from `insert_cte_parameters`.
INSERT_CTE = ("audit AS (INSERT INTO audit_event (id, action, outcome, actor_id, acting_for, ip, details) VALUES "
              "(:audit_id, :audit_action, :audit_outcome, :audit_actor, :audit_acting_for, :audit_ip, :audit_details))")
INSERT_CTE_TYPES: tuple[BindParameter[Any], ...] = (bindparam("audit_id", type_=UUID(as_uuid=True)),
                                                    bindparam("audit_details", type_=JSONB))


def insert_cte_parameters(row: AuditRow) -> dict[str, Any]:
    return {"audit_id": uuid.uuid4(), "audit_action": row.action, "audit_outcome": row.outcome,
            "audit_actor": row.actor, "audit_acting_for": row.acting_for, "audit_ip": row.ip,
            "audit_details": row.details or {}}


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
