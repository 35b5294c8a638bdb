"""All SQL of the assessments slice: audits and SKPs."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, DateTime, func, null, or_, select, union_all, update
from sqlalchemy.ext.asyncio import AsyncSession

from filing.assessments.models import audit, skp, skp_number_seq


@dataclass(frozen=True)
class AuditRow:
    id: uuid.UUID
    npwp: str
    period: str
    form: str | None
    audit_type: str
    started_at: datetime
    closed_at: datetime | None
    officer_account_id: str
    outcome: str | None
    closed_by_account_id: str | None
    revision: int


@dataclass(frozen=True)
class SkpRow:
    id: uuid.UUID
    number: str
    audit_id: uuid.UUID
    npwp: str
    kind: str
    form: str
    period: str
    principal: Decimal
    interest: Decimal
    interest_months: int
    monthly_rate_percent: Decimal | None
    increase: Decimal
    total: Decimal
    kap_kjs: str | None
    issued_on: date
    due_date: date | None
    reasoning: str
    officer_account_id: str


_AUDIT = (audit.c.id, audit.c.npwp, audit.c.period, audit.c.form, audit.c.audit_type, audit.c.started_at,
          audit.c.closed_at, audit.c.officer_account_id, audit.c.outcome, audit.c.closed_by_account_id,
          audit.c.revision)
_SKP = tuple(c for c in skp.c if c.name != "created_at")


def _covers(form: str) -> Any:
    return or_(audit.c.form.is_(None), audit.c.form == form)


class AuditRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def first_started_at(self, npwp: str, form: str, period: str) -> datetime | None:
        """When the first audit of the period that covers `form` (or every tax) started, if any did."""
        return (await self.session.execute(select(func.min(audit.c.started_at)).where(
            audit.c.npwp == npwp, audit.c.period == period, _covers(form)))).scalar_one_or_none()

    async def first_assessed_on(self, npwp: str, form: str, period: str) -> date | None:
        return (await self.session.execute(select(func.min(skp.c.issued_on)).where(
            skp.c.npwp == npwp, skp.c.period == period, skp.c.form == form))).scalar_one_or_none()

    async def open_audit_of(self, npwp: str, period: str, form: str | None) -> AuditRow | None:
        """An open audit overlapping this one (the same period, and every tax or the same form)."""
        query = select(*_AUDIT).where(audit.c.npwp == npwp, audit.c.period == period, audit.c.closed_at.is_(None))
        if form is not None:
            query = query.where(_covers(form))
        row = (await self.session.execute(query.limit(1))).first()
        return AuditRow(*row) if row is not None else None

    async def add_audit(self, values: dict[str, Any]) -> None:
        await self.session.execute(audit.insert().values(**values, revision=1))

    async def audit(self, audit_id: uuid.UUID, *, lock: bool = False) -> AuditRow | None:
        query = select(*_AUDIT).where(audit.c.id == audit_id)
        row = (await self.session.execute(query.with_for_update() if lock else query)).first()
        return AuditRow(*row) if row is not None else None

    async def close(self, audit_id: uuid.UUID, *, closed_at: datetime, outcome: str, officer: str) -> int:
        return int((await self.session.execute(update(audit).where(audit.c.id == audit_id).values(
            closed_at=closed_at, outcome=outcome, closed_by_account_id=officer, revision=audit.c.revision + 1)
            .returning(audit.c.revision))).scalar_one())

    async def next_skp_serial(self) -> int:
        return int((await self.session.execute(select(skp_number_seq.next_value()))).scalar_one())

    async def add_skp(self, values: dict[str, Any]) -> None:
        await self.session.execute(skp.insert().values(**values))

    async def skps(self, *, audit_id: uuid.UUID | None = None, npwp: str | None = None, form: str | None = None,
                   period: str | None = None) -> list[SkpRow]:
        query = select(*_SKP).order_by(skp.c.created_at, skp.c.number)
        if audit_id is not None:
            query = query.where(skp.c.audit_id == audit_id)
        if npwp is not None:
            query = query.where(skp.c.npwp == npwp, skp.c.form == form, skp.c.period == period)
        return [SkpRow(*r) for r in await self.session.execute(query)]

    async def skps_of(self, npwp: str) -> list[SkpRow]:
        rows = await self.session.execute(select(*_SKP).where(skp.c.npwp == npwp).order_by(skp.c.issued_on,
                                                                                                skp.c.number))
        return [SkpRow(*r) for r in rows]

    async def audits_and_assessments_of(self, npwps: Sequence[str], periods: Sequence[str]
                                        ) -> list[tuple[str, str, str | None, datetime | None, date | None]]:
        """For many returns in one statement: every audit (npwp, period, form or None, started_at, None) and every
        SKP (npwp, period, form, None, issued_on) of these taxpayers in these periods (a superset of the returns':
        the caller picks its own)."""
        audits = select(audit.c.npwp, audit.c.period, audit.c.form, audit.c.started_at,
                        null().cast(Date).label("issued_on")).where(
            audit.c.npwp == func.any(list(npwps)), audit.c.period == func.any(list(periods)))
        skps = select(skp.c.npwp, skp.c.period, skp.c.form, null().cast(DateTime(timezone=True)), skp.c.issued_on
                      ).where(skp.c.npwp == func.any(list(npwps)), skp.c.period == func.any(list(periods)))
        return [tuple(r) for r in await self.session.execute(union_all(audits, skps))]  # type: ignore[misc]
