"""All SQL of the assessments slice (audits only so far)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from filing.assessments.models import audit


class AuditRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def first_started_at(self, npwp: str, form: str, period: str) -> datetime | None:
        """When the first audit of the period that covers `form` (or every tax) started, if any did."""
        return (await self.session.execute(select(func.min(audit.c.started_at)).where(
            audit.c.npwp == npwp, audit.c.period == period, or_(audit.c.form.is_(None), audit.c.form == form))
        )).scalar_one_or_none()
