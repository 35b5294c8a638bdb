"""Use cases of the sanctions slice. `issue_late_filing_stp` runs inside the transaction of the use case that files
a return (the API's submission, or the consumer step that completes a "Bayar dan Lapor" filing): the return is filed
and its STP issued together, or neither."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.filing import STPIssued
from filing.obligations.kinds import Obligation
from filing.sanctions.repository import StpRepository, StpRow
from filing.sanctions.rules import late_filing_fine
from filing.sanctions.schemas import StpRead
from filing.sanctions.stp import bill_due_date, return_stp_kap_kjs
from kit.outbox import publish

AGGREGATE = "stp"
LATE_FILING = "late_filing"


async def issue_late_filing_stp(session: AsyncSession, *, npwp: str, obligation: Obligation, period: str,
                                spt_id: uuid.UUID, issued_on: date, causation_id: str | None = None) -> StpRead | None:
    """The UU KUP Art 7(1) fine of a return filed after its effective due date, as an STP published with
    `STPIssued`; None when the return already bears its fine (issued once, whoever asks again).

    The Art 7(2) exemptions (death, disaster, ...) are not known to filing yet: no fine is waived here. Raises
    `calendar.year_unknown` when the due date (1 month after issue, rolled) falls in a year without a calendar."""
    fine = late_filing_fine(obligation)
    due = bill_due_date(issued_on)
    repo = StpRepository(session)
    stp_id = uuid.uuid4()
    row = await repo.add_return_fine(dict(
        id=stp_id, number=f"STP-{issued_on.year}-{await repo.next_serial():09d}", npwp=npwp, reason=LATE_FILING,
        basis=fine.basis, kap_kjs=return_stp_kap_kjs(obligation), amount=fine.amount, form=obligation.value,
        period=period, spt_id=spt_id, issued_on=issued_on, due_date=due.effective))
    if row is None:
        return None
    await publish(session, STPIssued(
        stp_id=str(row.id), stp_number=row.number, npwp=npwp, reason=row.reason, basis=row.basis,
        kap_kjs=row.kap_kjs, amount=f"{whole(row.amount):f}", form=row.form, period=row.period, spt_id=str(spt_id),
        issued_on=row.issued_on, due_date=row.due_date,
    ), key=npwp, subject=str(row.id), aggregate_type=AGGREGATE, sequence=1, causation_id=causation_id)
    return read(row)


async def stps_of(session: AsyncSession, spt_ids: list[uuid.UUID]) -> list[StpRead]:
    return [read(r) for r in await StpRepository(session).for_spts(spt_ids)]


def whole(amount: Decimal) -> Decimal:
    """An STP carries whole rupiah (the fines are; interest is rounded once, `sanctions.interest`)."""
    return amount.quantize(Decimal(1))


def read(row: StpRow) -> StpRead:
    return StpRead(id=row.id, number=row.number, reason=row.reason, basis=row.basis, kap_kjs=row.kap_kjs,
                   amount=whole(row.amount), form=row.form, period=row.period, issued_on=row.issued_on,
                   due_date=row.due_date)
