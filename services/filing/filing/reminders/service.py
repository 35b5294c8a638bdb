"""The worker's reminder pass: `DeadlineApproaching` for every owed return not filed that is owed a reminder today
(`reminders.rules`: d7 from 7 down to 2 working days before its effective due date, d1 from 1 to 0), once per return
and reminder however often the pass runs. Sent on time by a worker that runs daily; caught up by the first pass after
a worker was down (the deadline still ahead: d7 late while 2 or more days are left, else d1 alone)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from contracts.filing import DeadlineApproaching
from filing.obligations.kinds import Obligation
from filing.reminders.repository import ReminderRepository
from filing.reminders.rules import REMINDERS, Candidate, Target, plan
from filing.sanctions.rules import EXEMPT_STATUSES
from kit.clock import Clock
from kit.db import UnitOfWork
from kit.outbox import outbox_row

log = logging.getLogger(__name__)

AGGREGATE = "deadline_reminder"
ON_TIME = dict(REMINDERS)


@dataclass(frozen=True)
class RemindersSent:
    obligation: Obligation
    period: str
    sent: int
    late: int = 0  # of them, sent after their own day (catch-up): d7 with fewer than 7 days left, d1 on the due date


async def send_reminders(uow: UnitOfWork, clock: Clock) -> list[RemindersSent]:
    """One transaction: per deadline concerned, one insert ... select of the reminders owed today (every due date of
    today's window at once, so a catch-up costs what an on-time pass does) and one statement for their events. A
    reminder or deadline that needs a year without a calendar is skipped and logged."""
    today = clock.today()
    todo = plan(today)
    for problem in todo.skipped:
        log.warning("deadline reminders of %s: skipped, no calendar (%s)", today.isoformat(), problem)
    if not todo.candidates:
        return []
    done: list[RemindersSent] = []
    async with uow:
        repo = ReminderRepository(uow.session)
        targets = [t.due for t in todo.targets]
        for candidate in todo.candidates:
            if not candidate.on_target and not await repo.extension_due(
                    candidate.obligation.value, str(candidate.period), targets):
                continue
            sent = await repo.send(annual=candidate.annual, params=_params(candidate, todo.targets, today))
            await repo.add_events([outbox_row(DeadlineApproaching(
                reminder_id=str(r.id), npwp=r.npwp, form=candidate.obligation.value, period=str(candidate.period),
                due_date=r.due_date, days_left=r.days_left, reminder=r.reminder, sent_on=today,
            ), key=r.npwp, subject=str(r.id), aggregate_type=AGGREGATE, sequence=1) for r in sent])
            done.append(RemindersSent(candidate.obligation, str(candidate.period), len(sent),
                                       sum(1 for r in sent if r.days_left != ON_TIME[r.reminder])))
        await uow.commit()
    return done


def _params(candidate: Candidate, targets: tuple[Target, ...], today: date) -> dict[str, object]:
    params: dict[str, object] = dict(
        npwps=None, form=candidate.obligation.value, period=str(candidate.period), due=candidate.due, today=today,
        exempt=sorted(EXEMPT_STATUSES), reminders=[t.reminder for t in targets], targets=[t.due for t in targets],
        days_left=[t.days_left for t in targets])
    if candidate.annual:
        params.update(kind="individual" if candidate.obligation is Obligation.SPT_TAHUNAN_OP else "company",
                      tax_year=candidate.period.first_day.year)
    else:
        params.update(first=candidate.period.first_day, last=candidate.period.last_day)
    return params
