"""All SQL of the reminders slice: the set-based inserts of the reminders due (each returning what its event says),
and their events in bulk."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import notify_once
from kit.outbox import NOTIFY_CHANNEL

# Active codes whose expiry falls in the window and that were never reminded of, a batch at a time. The unique key
# on billing_id makes a concurrent pass (another worker) insert nothing for the same code, so only the inserter
# publishes. Nothing is locked: a code paid while the pass runs may still get its reminder (harmless), and a
# confirmation never waits for a reminder pass.
_SEND_BILLING = text("""
WITH due AS (
  SELECT b.id FROM billing b
  WHERE b.status = 'active' AND b.expires_at > :after AND b.expires_at <= :until
    AND NOT EXISTS (SELECT 1 FROM billing_reminder r WHERE r.billing_id = b.id)
  ORDER BY b.expires_at, b.id
  LIMIT :batch
), sent AS (
  INSERT INTO billing_reminder (id, billing_id, npwp, expires_at, sent_at)
  SELECT gen_random_uuid(), b.id, b.npwp, b.expires_at, CAST(:now AS timestamptz) FROM due JOIN billing b USING (id)
  ON CONFLICT (billing_id) DO NOTHING
  RETURNING id, billing_id
)
SELECT s.id AS reminder_id, b.id AS billing_id, b.code, b.npwp, b.kap, b.kjs, b.period, b.assessment_number,
       b.amount, b.origin, b.spt_id, b.debt_id, b.instalment_number, b.expires_at
FROM sent s JOIN billing b ON b.id = s.billing_id
ORDER BY b.expires_at, b.id
""")

# Open instalments of running schedules due in the window and never reminded of. A schedule with an instalment
# already missed (due before today, unpaid) is about to fall due whole: its later instalments are not reminded of.
# The instalment's code is named when one is payable.
_SEND_INSTALMENTS = text("""
WITH due AS (
  SELECT i.id FROM instalment i
  JOIN instalment_arrangement a ON a.id = i.arrangement_id
  WHERE i.status = 'open' AND i.due_date >= :first AND i.due_date <= :last AND a.status = 'granted'
    AND NOT EXISTS (SELECT 1 FROM instalment m WHERE m.arrangement_id = i.arrangement_id AND m.status = 'open'
                                                 AND m.due_date < :today)
    AND NOT EXISTS (SELECT 1 FROM instalment_reminder r WHERE r.instalment_id = i.id)
  ORDER BY i.due_date, i.id
  LIMIT :batch
), sent AS (
  INSERT INTO instalment_reminder (id, instalment_id, npwp, due_date, days_left, sent_on, sent_at)
  SELECT gen_random_uuid(), i.id, a.npwp, i.due_date, i.due_date - CAST(:today AS date), CAST(:today AS date),
         CAST(:now AS timestamptz)
  FROM due JOIN instalment i USING (id) JOIN instalment_arrangement a ON a.id = i.arrangement_id
  ON CONFLICT (instalment_id) DO NOTHING
  RETURNING id, instalment_id, days_left
)
SELECT s.id AS reminder_id, s.days_left, a.id AS arrangement_id, a.debt_id, a.npwp, a.instalments, d.kap, d.kjs,
       d.period, d.assessment_number, i.number, i.due_date, i.principal, i.interest,
       (SELECT b.code FROM billing b
        WHERE b.debt_id = a.debt_id AND b.instalment_number = i.number AND b.status = 'active'
          AND b.expires_at > :now LIMIT 1) AS billing_code
FROM sent s JOIN instalment i ON i.id = s.instalment_id
JOIN instalment_arrangement a ON a.id = i.arrangement_id JOIN debt d ON d.id = a.debt_id
ORDER BY i.due_date, i.id
""")

_OUTBOX_COLUMNS = ("id", "topic", "key", "aggregate_type", "aggregate_id", "event_type", "event_version", "payload",
                   "headers")
_ADD_EVENTS = text(
    "INSERT INTO outbox (id, topic, key, aggregate_type, aggregate_id, event_type, event_version, payload, headers) "
    "SELECT * FROM unnest(CAST(:id AS uuid[]), CAST(:topic AS text[]), CAST(:key AS text[]), "
    "CAST(:aggregate_type AS text[]), CAST(:aggregate_id AS text[]), CAST(:event_type AS text[]), "
    "CAST(:event_version AS int[]), CAST(CAST(:payload AS text[]) AS jsonb[]), CAST(CAST(:headers AS text[]) AS jsonb[]))")


@dataclass(frozen=True)
class BillingDue:
    reminder_id: uuid.UUID
    billing_id: uuid.UUID
    code: str
    npwp: str
    kap: str
    kjs: str
    period: str | None
    assessment_number: str | None
    amount: Decimal
    origin: str
    spt_id: str | None
    debt_id: uuid.UUID | None
    instalment_number: int | None
    expires_at: datetime


@dataclass(frozen=True)
class InstalmentDue:
    reminder_id: uuid.UUID
    days_left: int
    arrangement_id: uuid.UUID
    debt_id: uuid.UUID
    npwp: str
    instalments: int
    kap: str
    kjs: str
    period: str | None
    assessment_number: str | None
    number: int
    due_date: date
    principal: Decimal
    interest: Decimal
    billing_code: str | None


class ReminderRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def send_billing(self, *, after: datetime, until: datetime, now: datetime, batch: int) -> list[BillingDue]:
        """Up to `batch` reminders inserted now, for codes expiring in (`after`, `until`]."""
        rows = await self.session.execute(_SEND_BILLING, dict(after=after, until=until, now=now, batch=batch))
        return [BillingDue(*r) for r in rows]

    async def send_instalments(self, *, first: date, last: date, today: date, now: datetime,
                               batch: int) -> list[InstalmentDue]:
        """Up to `batch` reminders inserted now, for instalments due in [`first`, `last`]."""
        rows = await self.session.execute(_SEND_INSTALMENTS, dict(first=first, last=last, today=today, now=now,
                                                                  batch=batch))
        return [InstalmentDue(*r) for r in rows]

    async def add_events(self, rows: list[dict[str, Any]]) -> None:
        """Outbox rows (`kit.outbox.outbox_row`) in bulk, one statement over arrays; the relay is woken at commit."""
        if not rows:
            return
        columns = {name: [r[name] for r in rows] for name in _OUTBOX_COLUMNS}
        for name in ("payload", "headers"):
            columns[name] = [json.dumps(v, separators=(",", ":"), ensure_ascii=False) for v in columns[name]]
        await self.session.execute(_ADD_EVENTS, columns)
        await notify_once(self.session, NOTIFY_CHANNEL)
