"""The audit log for officers (`identity:officer`), under /internal: the public ingress does not route it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from identity.audit import service
from identity.audit.schemas import AuditEventRead, AuditPage
from identity.auth import Officer, UoW
from kit.pagination import Pagination
from kit.text import text

Filter = Annotated[text(200) | None, Query()]

router = APIRouter(prefix="/internal/v1", tags=["officer (internal)"])


@router.get("/audit-events", response_model=AuditPage, summary="The audit log, newest first")
async def audit_events(who: Officer, uow: UoW, page: Pagination, actor: Filter = None, action: Filter = None,
                       acting_for: Filter = None) -> AuditPage:
    rows, cursor = await service.list_events(uow, page, actor=actor, action=action, acting_for=acting_for)
    return AuditPage(items=[AuditEventRead.model_validate(r) for r in rows], next_cursor=cursor)
