"""The worker's reminder pass: `BillingExpiryApproaching` for every unpaid code about to expire and
`InstalmentDueApproaching` for every unpaid instalment about to fall due (windows: `reminders.rules`), each sent once
however often the pass runs and however many workers run it. A batch is one transaction: its reminder rows (unique
per code / instalment) and their events commit together, so a worker killed mid-batch sent nothing of it and the next
pass sends it; a pass after an outage sends what is still in the windows, nothing that has passed."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

from contracts.payment import BillingExpiryApproaching, InstalmentDueApproaching
from kit.clock import Clock
from kit.db import UnitOfWork
from kit.outbox import outbox_row
from payment.billing.amount import amount_text
from payment.reminders.repository import BillingDue, InstalmentDue, ReminderRepository
from payment.reminders.rules import billing_window, instalment_window

log = logging.getLogger(__name__)

AGGREGATE = "reminder"


@dataclass(frozen=True)
class RemindersSent:
    billing: int
    instalments: int


async def send_reminders(uow: UnitOfWork, clock: Clock, *, batch: int) -> RemindersSent:
    """Every reminder due now, a batch per transaction until a batch comes back short."""
    billing = instalments = 0
    while True:
        sent = await send_billing_reminders(uow, now=clock.now(), batch=batch)
        billing += sent
        if sent < batch:
            break
    while True:
        sent = await send_instalment_reminders(uow, clock, batch=batch)
        instalments += sent
        if sent < batch:
            break
    return RemindersSent(billing, instalments)


async def send_billing_reminders(uow: UnitOfWork, *, now: datetime, batch: int) -> int:
    """Up to `batch` codes expiring within a day (with at least an hour left) reminded of, in one transaction."""
    window = billing_window(now)
    async with uow:
        repo = ReminderRepository(uow.session)
        due = await repo.send_billing(after=window.after, until=window.until, now=now, batch=batch)
        await repo.add_events([_billing_event(d, now) for d in due])
        await uow.commit()
    return len(due)


async def send_instalment_reminders(uow: UnitOfWork, clock: Clock, *, batch: int) -> int:
    """Up to `batch` instalments due today to 3 days ahead (Jakarta days) reminded of, in one transaction."""
    now = clock.now()
    window = instalment_window(clock.today())
    async with uow:
        repo = ReminderRepository(uow.session)
        due = await repo.send_instalments(first=window.first, last=window.last, today=window.today, now=now,
                                          batch=batch)
        await repo.add_events([_instalment_event(d, window.today) for d in due])
        await uow.commit()
    return len(due)


def _billing_event(d: BillingDue, now: datetime) -> dict[str, object]:
    return outbox_row(BillingExpiryApproaching(
        reminder_id=str(d.reminder_id), billing_id=str(d.billing_id), billing_code=d.code, npwp=d.npwp,
        kap_kjs=f"{d.kap}-{d.kjs}", period=d.period, assessment_number=d.assessment_number,
        amount=amount_text(d.amount), origin=d.origin,  # type: ignore[arg-type]
        spt_id=d.spt_id, debt_id=str(d.debt_id) if d.debt_id else None, instalment_number=d.instalment_number,
        expires_at=d.expires_at, sent_at=now,
    ), key=d.npwp, subject=str(d.reminder_id), aggregate_type=AGGREGATE, sequence=1)


def _instalment_event(d: InstalmentDue, today: date) -> dict[str, object]:
    return outbox_row(InstalmentDueApproaching(
        reminder_id=str(d.reminder_id), arrangement_id=str(d.arrangement_id), debt_id=str(d.debt_id), npwp=d.npwp,
        kap_kjs=f"{d.kap}-{d.kjs}", period=d.period, assessment_number=d.assessment_number, number=d.number,
        instalments=d.instalments, due_date=d.due_date, principal=amount_text(d.principal),
        interest=amount_text(d.interest), total=amount_text(d.principal + d.interest), days_left=d.days_left,
        billing_code=d.billing_code, sent_on=today,
    ), key=d.npwp, subject=str(d.reminder_id), aggregate_type=AGGREGATE, sequence=1)
