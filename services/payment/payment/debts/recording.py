"""Recording a debt inside the caller's transaction: the row, its ledger liability (`LIABILITY_RECORDED`, effective
on the day of issue) and `DebtRecorded`. The debts slice's consumers (filing's STP and SKP) use it, and so does the
instalment decision that turns an annual SPT's PPh 29 into a debt; it lives apart from `service.py` because the debts
service calls the instalments service (an instalment paid settles part of a debt), so the two services never import
each other."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.payment import DebtRecorded
from kit.outbox import publish
from payment.billing.amount import amount_text
from payment.billing.kap_kjs import BillingSubject
from payment.debts.errors import AssessmentAlreadyRecorded
from payment.debts.repository import DebtRepository
from payment.debts.rules import PERIOD_DEBT_KIND
from payment.ledger import service as ledger
from payment.ledger.postings import Posting, debt_posting
from payment.models import Debt

AGGREGATE = "debt"
WIB = timezone(timedelta(hours=7))
ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class NewDebt:
    npwp: str
    kind: str
    subject: BillingSubject
    period: str | None  # what the debt is about; the subject's period is the ledger key, when it has one
    amount: Decimal
    issued_on: date
    due_date: date
    source: str
    source_reference: str


async def record_in(session: AsyncSession, new: NewDebt, *, causation_id: str | None = None) -> Debt | None:
    """The debt recorded, its liability posted and `DebtRecorded` published; None (nothing written) when its
    source's reference or its STP/SKP number is a debt already (the caller finds out which)."""
    debt = await DebtRepository(session).insert(values(new, recorded_at=datetime.now(UTC)))
    if debt is None:
        return None
    await ledger.post_in(session, posting(debt, new.subject), effective_at=effective_at(debt.issued_on))
    await announce(session, debt, causation_id=causation_id)
    return debt


async def record_pph29_in(session: AsyncSession, *, npwp: str, subject: BillingSubject, amount: Decimal,
                         spt_id: str, issued_on: date, due_date: date) -> Debt:
    """An annual SPT's PPh 29 becomes a debt (kind `spt_underpayment`, source `spt`, keyed by the SPT): a step of the
    instalment decision that grants its payment in instalments, in that transaction. `AssessmentAlreadyRecorded`
    (nothing written) when the SPT's PPh 29 is a debt already."""
    debt = await record_in(session, NewDebt(
        npwp=npwp, kind=PERIOD_DEBT_KIND, subject=subject, period=subject.period, amount=amount, issued_on=issued_on,
        due_date=due_date, source="spt", source_reference=spt_id))
    if debt is None:
        other = await DebtRepository(session).by_source("spt", spt_id)
        raise AssessmentAlreadyRecorded(f"the PPh 29 of SPT {spt_id} is a debt already",
                                        debt_id=str(other.id) if other else None)
    return debt


def values(new: NewDebt, *, recorded_at: datetime, import_id: uuid.UUID | None = None) -> dict[str, object]:
    return dict(id=uuid.uuid4(), npwp=new.npwp, kind=new.kind, kap=new.subject.rule.kap, kjs=new.subject.rule.kjs,
                period=new.period, assessment_number=new.subject.assessment_number, amount=new.amount,
                issued_on=new.issued_on, due_date=new.due_date, source=new.source,
                source_reference=new.source_reference, import_id=import_id, status="open", recorded_at=recorded_at,
                version=1, outstanding=new.amount, interest_principal=new.amount, interest_from=new.due_date,
                interest_next_on=new.due_date + ONE_DAY, interest_months=0, interest_accrued=Decimal(0))


def posting(debt: Debt, subject: BillingSubject) -> Posting:
    return debt_posting(debt_id=str(debt.id), npwp=debt.npwp, kap_kjs=debt.kap_kjs, period=subject.period,
                        assessment_number=subject.assessment_number, amount=debt.amount)


def effective_at(issued_on: date) -> datetime:
    """A debt is owed from the day it was issued (in WIB, where DJP dates its letters)."""
    return datetime.combine(issued_on, time(), WIB)


async def announce(session: AsyncSession, debt: Debt, *, causation_id: str | None = None) -> None:
    await publish(session, recorded(debt), key=debt.npwp, subject=str(debt.id), aggregate_type=AGGREGATE,
                  sequence=debt.version, causation_id=causation_id)


def recorded(debt: Debt) -> DebtRecorded:
    return DebtRecorded(
        debt_id=str(debt.id), npwp=debt.npwp, kind=debt.kind,  # type: ignore[arg-type]
        kap_kjs=debt.kap_kjs, assessment_number=debt.assessment_number, period=debt.period,
        amount=amount_text(debt.amount), issued_on=debt.issued_on, due_date=debt.due_date, legacy=debt.legacy,
        source_reference=debt.source_reference, recorded_at=debt.recorded_at)
