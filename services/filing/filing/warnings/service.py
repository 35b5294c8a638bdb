"""Use cases of the warnings slice: an officer records a written warning (Surat Teguran) about a taxpayer's return,
and lists a taxpayer's; submissions read, inside their own transaction, which returns were warned and when
(UU KUP Art 3(7)(c)). A recorded warning is published in its transaction (`WrittenWarningIssued`, key the NPWP,
aggregate `written_warning`, subject the warning id, `sequence` 1): the taxpayer's notice comes from it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.filing import WrittenWarningIssued
from filing.calendar.periods import parse_period
from filing.forms.service import form_code
from filing.registry import service as registry
from filing.returns.repository import ReturnKey
from filing.returns.rules import overpayment_filing_limit
from filing.sanctions.auth import require_officer
from filing.submissions.figures import form_of
from filing.warnings.errors import WarningNumberExists
from filing.warnings.repository import WarningRepository, WarningRow
from filing.warnings.rules import ensure_recordable
from filing.warnings.schemas import WrittenWarningCreate, WrittenWarningRead
from kit.auth import Principal
from kit.clock import Clock
from kit.db import UnitOfWork
from kit.outbox import publish

AGGREGATE = "written_warning"


async def record_warning(uow: UnitOfWork, clock: Clock, principal: Principal,
                         body: WrittenWarningCreate) -> WrittenWarningRead:
    officer = require_officer(principal)
    form = form_of(form_code(body.form))
    period = form.period(body.period)
    ensure_recordable(period, body.warned_on, clock.today())
    async with uow:
        await registry.registered(uow.session, body.npwp)
        repo = WarningRepository(uow.session)
        row = await repo.add(dict(id=uuid.uuid4(), number=body.number, npwp=body.npwp, form=form.code,
                                  period=str(period), warned_on=body.warned_on, officer_account_id=officer))
        if row is None:
            taken = await repo.by_number(body.number)
            raise WarningNumberExists(f"warning {body.number} is already recorded", path="/number",
                                      warning_id=str(taken.id) if taken else None)
        read = _read(row)
        # recorded once, never changed: the only version of the aggregate is 1
        await publish(uow.session, _issued(read), key=row.npwp, subject=str(row.id), aggregate_type=AGGREGATE,
                      sequence=1)
        await uow.commit()
    return read


async def list_warnings(uow: UnitOfWork, principal: Principal, *, npwp: str, form: str | None,
                        period: str | None) -> list[WrittenWarningRead]:
    require_officer(principal)
    chosen = form_of(form_code(form)) if form is not None else None
    text = None if period is None else str(chosen.period(period) if chosen else parse_period(period))
    code = chosen.code if chosen else None
    async with uow:
        rows = await WarningRepository(uow.session).of_taxpayer(npwp, form=code, period=text)
    return [_read(r) for r in rows]


async def warned_on_of(session: AsyncSession, returns: Sequence[ReturnKey]) -> dict[ReturnKey, list[date]]:
    """The dates of the written warnings about each of these returns, in one statement."""
    found: dict[ReturnKey, list[date]] = {key: [] for key in returns}
    if not returns:
        return found
    rows = await WarningRepository(session).dates_of(sorted({k[0] for k in found}), sorted({k[2] for k in found}))
    for npwp, form, period, warned_on in rows:
        if (key := (npwp, form, period)) in found:
            found[key].append(warned_on)
    return found


def _issued(read: WrittenWarningRead) -> WrittenWarningIssued:
    return WrittenWarningIssued(warning_id=str(read.id), letter_number=read.number, npwp=read.npwp, form=read.form,
                                period=read.period, issued_on=read.warned_on,
                                overpayment_filing_limit=read.overpayment_filing_limit, recorded_at=read.recorded_at,
                                officer_account_id=read.officer_account_id)


def _read(row: WarningRow) -> WrittenWarningRead:
    return WrittenWarningRead(id=row.id, number=row.number, npwp=row.npwp, form=row.form, period=row.period,
                              warned_on=row.warned_on, officer_account_id=row.officer_account_id,
                              recorded_at=row.recorded_at,
                              overpayment_filing_limit=overpayment_filing_limit(parse_period(row.period)))
