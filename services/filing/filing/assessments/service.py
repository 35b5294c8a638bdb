"""Use cases of the assessments slice. So far what other slices read, inside their own transaction: whether an
audit of a period has started (UU KUP Art 3(7)(d), Art 8(1))."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from filing.assessments.repository import AuditRepository
from filing.clock import JAKARTA


async def audit_started_on(session: AsyncSession, npwp: str, form: str, period: str) -> date | None:
    """The day (WIB) the first audit of the period covering `form` started; None when there is none."""
    started = await AuditRepository(session).first_started_at(npwp, form, period)
    return started.astimezone(JAKARTA).date() if started is not None else None
