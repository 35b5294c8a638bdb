"""Use cases of the SKB slice: a taxpayer applies, an officer approves or rejects (with a reason), a withholder reads
an SKB by its number or the payee's NPWP. The decision is published in its transaction: `SKBIssued` (what withholders
keep) or `SKBRejected`, aggregate `skb_application`, `sequence` = the application's revision after the decision."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from contracts.filing import SKBIssued, SKBRejected
from filing.registry import service as registry
from filing.sanctions.auth import require_officer
from filing.skb.errors import SkbAlreadyDecided, SkbNotFound, SkbReasonRequired, SkbYearEnded
from filing.skb.repository import SkbRepository
from filing.skb.rules import decision_due, skb_number, valid_on, validity
from filing.skb.schemas import SkbApplicationCreate, SkbApplicationRead, SkbDecisionCreate, SkbRead
from kit.auth import Principal, TaxpayerForbidden, acting_taxpayer
from kit.clock import Clock
from kit.db import UnitOfWork
from kit.outbox import publish

SUBMIT = "filing:submit"
READ = "filing:read"
AGGREGATE = "skb_application"


async def apply(uow: UnitOfWork, principal: Principal, clock: Clock, *, npwp: str | None,
                body: SkbApplicationCreate) -> SkbApplicationRead:
    principal.require(SUBMIT)
    npwp = acting_taxpayer(principal, npwp)
    now = clock.now()
    today = clock.today()
    values = dict(id=uuid.uuid4(), npwp=npwp, tax=body.tax.value, ground=body.ground.value,
                  statement=body.statement, tax_year=today.year, status="submitted", received_on=today,
                  decision_due=decision_due(today), applied_at=now, applicant_account_id=principal.acting_person)
    async with uow:
        await registry.registered(uow.session, npwp)
        repo = SkbRepository(uow.session)
        await repo.add(values)
        row = await repo.get(values["id"])
        await uow.commit()
    assert row is not None
    return _application(row, today)


async def get_application(uow: UnitOfWork, principal: Principal, clock: Clock,
                          application_id: uuid.UUID) -> SkbApplicationRead:
    """The applicant's (any taxpayer the token acts for) or an officer's read."""
    async with uow:
        row = await SkbRepository(uow.session).get(application_id)
    if row is None:
        raise SkbNotFound(f"no SKB application {application_id}")
    if principal.claims.get("client_kind") is None:
        principal.require(READ)
        try:
            principal.ensure_taxpayer_access(row["npwp"])
        except TaxpayerForbidden:
            raise SkbNotFound(f"no SKB application {application_id}") from None
    else:
        require_officer(principal)
    return _application(row, clock.today())


async def pending(uow: UnitOfWork, principal: Principal, clock: Clock, *, limit: int) -> list[SkbApplicationRead]:
    """The officers' queue: undecided applications, the earliest decision due first."""
    require_officer(principal)
    async with uow:
        rows = await SkbRepository(uow.session).pending(limit)
    return [_application(r, clock.today()) for r in rows]


async def decide(uow: UnitOfWork, principal: Principal, clock: Clock, application_id: uuid.UUID,
                 body: SkbDecisionCreate) -> SkbApplicationRead:
    officer = require_officer(principal)
    if body.decision == "reject" and not (body.reason or "").strip():
        raise SkbReasonRequired("state why the application is rejected", path="/reason")
    today = clock.today()
    async with uow:
        repo = SkbRepository(uow.session)
        row = await repo.get(application_id, for_update=True)
        if row is None:
            raise SkbNotFound(f"no SKB application {application_id}")
        if row["status"] != "submitted":
            raise SkbAlreadyDecided(f"the application is {row['status']}")
        values: dict[str, Any] = dict(decided_at=clock.now(), officer_account_id=officer)
        if body.decision == "approve":
            if today > date(row["tax_year"], 12, 31):
                raise SkbYearEnded(f"tax year {row['tax_year']} has ended")
            valid_from, valid_until = validity(today, row["tax_year"])
            values.update(status="approved", number=skb_number(today.year, await repo.next_serial()),
                          valid_from=valid_from, valid_until=valid_until)
        else:
            values.update(status="rejected", rejection_reason=body.reason)
        await repo.decide(application_id, values)
        decided = await repo.get(application_id)
        assert decided is not None
        await publish(uow.session, _decision_event(decided), key=decided["npwp"], subject=str(application_id),
                      aggregate_type=AGGREGATE, sequence=decided["revision"])
        await uow.commit()
    return _application(decided, today)


def _decision_event(row: dict[str, Any]) -> SKBIssued | SKBRejected:
    common = dict(application_id=str(row["id"]), npwp=row["npwp"], tax=row["tax"], ground=row["ground"],
                  tax_year=row["tax_year"], received_on=row["received_on"], decision_due=row["decision_due"],
                  decided_at=row["decided_at"], officer_account_id=row["officer_account_id"])
    if row["status"] == "approved":
        return SKBIssued(**common, skb_number=row["number"], valid_from=row["valid_from"],
                         valid_until=row["valid_until"])
    return SKBRejected(**common, reason=row["rejection_reason"])


async def by_number(uow: UnitOfWork, principal: Principal, clock: Clock, number: str) -> SkbRead:
    """A withholder (any token with `filing:read`) checks an SKB its payee shows."""
    principal.require(READ)
    async with uow:
        row = await SkbRepository(uow.session).by_number(number)
    if row is None:
        raise SkbNotFound(f"no SKB {number}")
    return _skb(row, clock.today())


async def of_npwp(uow: UnitOfWork, principal: Principal, clock: Clock, npwp: str) -> list[SkbRead]:
    """Every SKB issued to `npwp` (the newest validity first), for a withholder before it withholds."""
    principal.require(READ)
    async with uow:
        rows = await SkbRepository(uow.session).approved_of(npwp)
    return [_skb(r, clock.today()) for r in rows]


def _application(row: dict[str, Any], today: date) -> SkbApplicationRead:
    return SkbApplicationRead(
        id=row["id"], npwp=row["npwp"], tax=row["tax"], ground=row["ground"], statement=row["statement"],
        tax_year=row["tax_year"], status=row["status"], received_on=row["received_on"],
        decision_due=row["decision_due"], overdue=row["status"] == "submitted" and today > row["decision_due"],
        applied_at=row["applied_at"], decided_at=row["decided_at"], rejection_reason=row["rejection_reason"],
        number=row["number"], valid_from=row["valid_from"], valid_until=row["valid_until"])


def _skb(row: dict[str, Any], today: date) -> SkbRead:
    return SkbRead(number=row["number"], npwp=row["npwp"], tax=row["tax"], tax_year=row["tax_year"],
                   valid_from=row["valid_from"], valid_until=row["valid_until"],
                   valid_today=valid_on(today, row["valid_from"], row["valid_until"]))
