"""The audit log for officers (`identity:officer`), under /internal: the public ingress does not route it."""

from __future__ import annotations

from fastapi import APIRouter, Query

from identity.audit import service
from identity.audit.schemas import AuditEventRead, AuditPage
from identity.auth import Officer, UoW
from kit.pagination import Pagination

router = APIRouter(prefix="/internal/v1", tags=["officer (internal)"])


@router.get("/audit-events", response_model=AuditPage, summary="The audit log, newest first")
async def audit_events(who: Officer, uow: UoW, page: Pagination, actor: str | None = Query(None),
                       action: str | None = Query(None), acting_for: str | None = Query(None)) -> AuditPage:
    rows, cursor = await service.list_events(uow, page, actor=actor, action=action, acting_for=acting_for)
    return AuditPage(items=[AuditEventRead.model_validate(r) for r in rows], next_cursor=cursor)
