"""All SQL of the reminders slice: the set-based insert of the reminders due, and their events in bulk."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import exists, select, text
from sqlalchemy.ext.asyncio import AsyncSession

# who owes a return: the sanction run's own statements, so a reminder and a fine never disagree on it
from filing.obligations.models import annual_extension
from filing.sanctions.repository import OWES_ANNUAL, OWES_MASA_PPN, StpRepository

# Each owed return of the deadline not filed (no filed Normal), whose effective due date (the taxpayer's extension,
# else the deadline's) is one of today's targets, unless the registry knows an Art 7(2) case (no fine, no reminder).
# The unique index makes a rerun (or another worker) insert nothing, so only the inserter publishes.
_SEND = """
WITH owed AS ({owes}
), targets AS (
  SELECT * FROM unnest(CAST(:reminders AS text[]), CAST(:targets AS date[]), CAST(:days_left AS int[]))
         AS t(reminder, due_date, days_left)
), due AS (
  SELECT o.npwp, COALESCE(e.due_date, :due) AS due_date
  FROM owed o
  LEFT JOIN annual_extension e ON e.npwp = o.npwp AND e.form = :form AND e.period = :period
  LEFT JOIN taxpayer_status ts ON ts.taxpayer_id = o.taxpayer_id
  WHERE (ts.status IS NULL OR NOT ts.status = ANY(CAST(:exempt AS text[])))
    AND NOT EXISTS (SELECT 1 FROM spt s WHERE s.npwp = o.npwp AND s.form = :form AND s.period = :period
                                         AND s.version = 0 AND s.status = 'filed')
)
INSERT INTO deadline_reminder (id, npwp, form, period, reminder, due_date, days_left, sent_on)
SELECT gen_random_uuid(), d.npwp, :form, :period, t.reminder, d.due_date, t.days_left, :today
FROM due d JOIN targets t ON t.due_date = d.due_date
ON CONFLICT (npwp, form, period, reminder) DO NOTHING
RETURNING id, npwp, reminder, due_date, days_left
"""
_SEND_MASA_PPN = text(_SEND.format(owes=OWES_MASA_PPN))
_SEND_ANNUAL = text(_SEND.format(owes=OWES_ANNUAL))


@dataclass(frozen=True)
class SentReminder:
    id: uuid.UUID
    npwp: str
    reminder: str
    due_date: date
    days_left: int


class ReminderRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def send(self, *, annual: bool, params: dict[str, Any]) -> list[SentReminder]:
        """The reminders inserted now (one sent before conflicts and is left out)."""
        rows = await self.session.execute(_SEND_ANNUAL if annual else _SEND_MASA_PPN, params)
        return [SentReminder(*r) for r in rows]

    async def extension_due(self, form: str, period: str, dates: list[date]) -> bool:
        """Some return of the deadline is extended to one of `dates` (else a deadline that is not a target itself
        has nothing to remind of, and its taxpayers are not scanned)."""
        return bool((await self.session.execute(select(exists().where(
            annual_extension.c.form == form, annual_extension.c.period == period,
            annual_extension.c.due_date.in_(dates))))).scalar_one())

    async def add_events(self, rows: list[dict[str, Any]]) -> None:
        """Outbox rows in bulk, as the sanction run writes its STPs' (one statement over arrays)."""
        await StpRepository(self.session).add_events(rows)
