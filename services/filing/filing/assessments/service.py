"""Use cases of the assessments slice: an officer opens an audit of a taxpayer's period (`AuditStarted`), issues
the assessments it concludes with (SKPKB, SKPKBT, SKPLB, SKPN, with Art 13(2) interest: `SKPIssued`) and closes it
(`AuditClosed`). Other slices read, inside their own transaction, whether an audit of a period started or an
assessment was issued (UU KUP Art 3(7)(d), Art 8(1))."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.filing import AuditClosed, AuditStarted, SKPIssued
from filing.assessments.errors import (
    AuditAlreadyOpen,
    AuditFormMismatch,
    AuditIsClosed,
    AuditNotFound,
    AuditOutcomeMismatch,
)
from filing.assessments.repository import AuditRepository, AuditRow, SkpRow
from filing.assessments.rules import (
    PAYABLE,
    assessment_interest,
    assessment_interest_start,
    check_skp,
    skp_kap_kjs,
    skp_total,
)
from filing.assessments.schemas import AuditClose, AuditCreate, AuditRead, SkpCreate, SkpRead
from filing.calendar.periods import parse_period
from filing.forms.schema import form as data_form
from filing.registry import service as registry
from filing.returns.amounts import entered_amount
from filing.sanctions.auth import require_officer
from filing.sanctions.stp import KAP_PPN_DN, bill_due_date
from kit.auth import Principal, acting_taxpayer
from kit.clock import JAKARTA, Clock
from kit.db import UnitOfWork
from kit.outbox import publish

READ = "filing:read"
AUDIT, SKP = "audit", "skp"
WHOLE = Decimal(1)


# -- what other slices read ------------------------------------------------------------------------------------------
async def audit_started_on(session: AsyncSession, npwp: str, form: str, period: str) -> date | None:
    """The day (WIB) the first audit of the period covering `form` started; None when there is none."""
    started = await AuditRepository(session).first_started_at(npwp, form, period)
    return started.astimezone(JAKARTA).date() if started is not None else None


async def assessment_issued_on(session: AsyncSession, npwp: str, form: str, period: str) -> date | None:
    """The day the first assessment of the return was issued; None when there is none."""
    return await AuditRepository(session).first_assessed_on(npwp, form, period)


async def audits_and_assessments_of(session: AsyncSession, returns: Sequence[tuple[str, str, str]]
                                    ) -> dict[tuple[str, str, str], tuple[date | None, date | None]]:
    """`audit_started_on` and `assessment_issued_on` of many returns (npwp, form, period) in one statement."""
    found: dict[tuple[str, str, str], tuple[date | None, date | None]] = {key: (None, None) for key in returns}
    if not returns:
        return found
    by_period: dict[tuple[str, str], list[str]] = {}
    for npwp, form, period in found:
        by_period.setdefault((npwp, period), []).append(form)
    rows = await AuditRepository(session).audits_and_assessments_of(sorted({k[0] for k in found}),
                                                                    sorted({k[2] for k in found}))
    for npwp, period, form, started_at, issued_on in rows:
        for key_form in by_period.get((npwp, period), ()):
            key = (npwp, key_form, period)
            started, assessed = found[key]
            if started_at is not None and (form is None or form == key_form):
                day = started_at.astimezone(JAKARTA).date()
                found[key] = (day if started is None else min(started, day), assessed)
            elif issued_on is not None and form == key_form:
                found[key] = (started, issued_on if assessed is None else min(assessed, issued_on))
    return found


def form_kap(form: str) -> str:
    """The KAP of the tax a form reports (its SKP's KAP-KJS); `form.unknown` for a form filing does not have."""
    return KAP_PPN_DN if form == "spt_masa_ppn" else data_form(form).kap


# -- officer ---------------------------------------------------------------------------------------------------------
async def open_audit(uow: UnitOfWork, clock: Clock, principal: Principal, body: AuditCreate) -> AuditRead:
    officer = require_officer(principal)
    period = str(parse_period(body.period))
    if body.form is not None:
        form_kap(body.form)
    now = clock.now()
    async with uow:
        await registry.registered(uow.session, body.npwp)
        repo = AuditRepository(uow.session)
        if (other := await repo.open_audit_of(body.npwp, period, body.form)) is not None:
            raise AuditAlreadyOpen(audit_id=str(other.id))
        audit_id = uuid.uuid4()
        await repo.add_audit(dict(id=audit_id, npwp=body.npwp, period=period, form=body.form,
                                  audit_type=body.audit_type, started_at=now, officer_account_id=officer))
        await publish(uow.session, AuditStarted(
            audit_id=str(audit_id), npwp=body.npwp, period=period, form=body.form, audit_type=body.audit_type,
            started_at=now, officer_account_id=officer,
        ), key=body.npwp, subject=str(audit_id), aggregate_type=AUDIT, sequence=1)
        read = await _read(repo, audit_id)
        await uow.commit()
    return read


async def issue_skp(uow: UnitOfWork, clock: Clock, principal: Principal, audit_id: uuid.UUID,
                    body: SkpCreate) -> SkpRead:
    officer = require_officer(principal)
    principal_amount = entered_amount(body.principal, path="/principal")
    increase = entered_amount(body.increase, path="/increase")
    kap = form_kap(body.form)
    issued_on = clock.now().astimezone(JAKARTA).date()
    async with uow:
        repo = AuditRepository(uow.session)
        audit = await _open(repo, audit_id)
        if audit.form is not None and audit.form != body.form:
            raise AuditFormMismatch(f"the audit covers {audit.form}", path="/form", audit_form=audit.form)
        earlier = await repo.skps(npwp=audit.npwp, form=body.form, period=audit.period)
        check_skp(body.kind, principal=principal_amount, increase=increase, earlier_assessments=len(earlier))
        payable = body.kind in PAYABLE
        charge = assessment_interest(principal_amount, starts_on=assessment_interest_start(parse_period(
            audit.period)), issued_on=issued_on) if payable else None
        interest = charge.amount if charge else Decimal(0)
        total = skp_total(body.kind, principal=principal_amount, interest=interest, increase=increase)
        due = bill_due_date(issued_on).effective if payable else None
        skp_id = uuid.uuid4()
        row = SkpRow(
            id=skp_id, number=f"{body.kind.value}-{issued_on.year}-{await repo.next_skp_serial():09d}",
            audit_id=audit.id, npwp=audit.npwp, kind=body.kind.value, form=body.form, period=audit.period,
            principal=principal_amount, interest=interest, interest_months=charge.months if charge else 0,
            monthly_rate_percent=charge.rate.percent if charge and charge.rate else None, increase=increase,
            total=total, kap_kjs=skp_kap_kjs(body.kind, kap), issued_on=issued_on, due_date=due,
            reasoning=body.reasoning, officer_account_id=officer)
        await repo.add_skp(vars(row))
        await publish(uow.session, SKPIssued(
            skp_id=str(skp_id), skp_number=row.number, npwp=row.npwp, kind=body.kind.value, form=row.form,
            period=row.period, audit_id=str(audit.id), principal=_text(row.principal), interest=_text(interest),
            increase=_text(increase), total=_text(total), kap_kjs=row.kap_kjs, issued_on=issued_on, due_date=due,
            reasoning=row.reasoning, officer_account_id=officer,
        ), key=row.npwp, subject=str(skp_id), aggregate_type=SKP, sequence=1)
        await uow.commit()
    return _skp(row)


async def close_audit(uow: UnitOfWork, clock: Clock, principal: Principal, audit_id: uuid.UUID,
                      body: AuditClose) -> AuditRead:
    officer = require_officer(principal)
    now = clock.now()
    async with uow:
        repo = AuditRepository(uow.session)
        audit = await _open(repo, audit_id)
        skps = await repo.skps(audit_id=audit_id)
        if (body.outcome == "assessed") != bool(skps):
            raise AuditOutcomeMismatch(f"{len(skps)} assessment(s) issued: the outcome is not {body.outcome}",
                                       path="/outcome", assessments=len(skps))
        revision = await repo.close(audit_id, closed_at=now, outcome=body.outcome, officer=officer)
        await publish(uow.session, AuditClosed(
            audit_id=str(audit_id), npwp=audit.npwp, period=audit.period, form=audit.form, outcome=body.outcome,
            skp_ids=[str(s.id) for s in skps], closed_at=now, officer_account_id=officer,
        ), key=audit.npwp, subject=str(audit_id), aggregate_type=AUDIT, sequence=revision)
        read = await _read(repo, audit_id)
        await uow.commit()
    return read


async def get_audit(uow: UnitOfWork, principal: Principal, audit_id: uuid.UUID) -> AuditRead:
    require_officer(principal)
    async with uow:
        return await _read(AuditRepository(uow.session), audit_id)


# -- taxpayer --------------------------------------------------------------------------------------------------------
async def list_skps(uow: UnitOfWork, principal: Principal, *, npwp: str | None) -> list[SkpRead]:
    principal.require(READ)
    npwp = acting_taxpayer(principal, npwp)
    async with uow:
        return [_skp(r) for r in await AuditRepository(uow.session).skps_of(npwp)]


# -- reading ---------------------------------------------------------------------------------------------------------
async def _open(repo: AuditRepository, audit_id: uuid.UUID) -> AuditRow:
    audit = await repo.audit(audit_id, lock=True)
    if audit is None:
        raise AuditNotFound(audit_id=str(audit_id))
    if audit.closed_at is not None:
        raise AuditIsClosed(audit_id=str(audit_id), outcome=audit.outcome)
    return audit


async def _read(repo: AuditRepository, audit_id: uuid.UUID) -> AuditRead:
    audit = await repo.audit(audit_id)
    if audit is None:
        raise AuditNotFound(audit_id=str(audit_id))
    return AuditRead(
        id=audit.id, npwp=audit.npwp, period=audit.period, form=audit.form, audit_type=audit.audit_type,
        status="closed" if audit.closed_at else "open", started_at=audit.started_at, closed_at=audit.closed_at,
        outcome=audit.outcome, officer_account_id=audit.officer_account_id,
        closed_by_account_id=audit.closed_by_account_id,
        skps=[_skp(s) for s in await repo.skps(audit_id=audit_id)])


def _skp(r: SkpRow) -> SkpRead:
    amounts = ("principal", "interest", "increase", "total")
    return SkpRead(**{k: _plain(v) if k in amounts else v for k, v in vars(r).items()})


def _plain(amount: Decimal) -> Decimal:
    return amount.quantize(WHOLE) if amount == amount.to_integral_value() else amount


def _text(amount: Decimal) -> str:
    """Amounts in events: whole rupiah when whole, else as entered (at most 2 decimals)."""
    return f"{_plain(amount):f}"
