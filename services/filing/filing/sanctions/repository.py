"""All SQL of the sanctions slice: STPs, the set-based sanction run, what a late payment or a late faktur needs."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, func, insert, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import Text

from filing.returns.models import spt
from filing.sanctions.models import sanction_run, stp, stp_number_seq
from filing.submissions.models import spt_payment
from kit.db import notify_once
from kit.outbox import NOTIFY_CHANNEL

# An Art 7(1) fine a return already bears conflicts on the partial unique index: nothing is inserted.
_ADD = (pg_insert(stp).on_conflict_do_nothing(index_elements=["npwp", "form", "period"],
                                           index_where=text("reason IN ('late_filing', 'not_filed')"))
        .returning(*stp.c))
_ADD_LATE_PAYMENT = (pg_insert(stp).on_conflict_do_nothing(index_elements=["spt_id", "kap_kjs"],
                                                          index_where=text("reason = 'late_payment'"))
                     .returning(*stp.c))
_ADD_LATE_FAKTUR = (pg_insert(stp).on_conflict_do_nothing(index_elements=["invoice_id"],
                                                         index_where=text("reason = 'late_faktur'"))
                    .returning(*stp.c))

# Who owes the return ... A PKP for at least one day of the month: PKP on its first day (the latest change on or
# before it), or made PKP on a day of it by that day's last change (a change overridden on its own date, as identity
# restates one, makes no PKP day; obligations.owed.pkp_spans says the same per taxpayer). Two hash-joinable sets
# rather than a subquery per taxpayer.
OWES_MASA_PPN = """
  SELECT t.npwp, t.taxpayer_id FROM taxpayer t
  LEFT JOIN (SELECT DISTINCT ON (taxpayer_id) taxpayer_id, is_pkp FROM pkp_status_change
             WHERE effective_date <= :first ORDER BY taxpayer_id, effective_date DESC, source_sequence DESC) AS at_start
         ON at_start.taxpayer_id = t.taxpayer_id
  LEFT JOIN (SELECT DISTINCT taxpayer_id
             FROM (SELECT DISTINCT ON (taxpayer_id, effective_date) taxpayer_id, is_pkp FROM pkp_status_change
                   WHERE effective_date BETWEEN :first AND :last
                   ORDER BY taxpayer_id, effective_date, source_sequence DESC) AS last_of_day
             WHERE is_pkp) AS became
         ON became.taxpayer_id = t.taxpayer_id
  WHERE (CAST(:npwps AS text[]) IS NULL OR t.npwp = ANY(CAST(:npwps AS text[])))
    AND (at_start.is_pkp OR became.taxpayer_id IS NOT NULL)"""
OWES_ANNUAL = """
  SELECT t.npwp, t.taxpayer_id FROM taxpayer t
  WHERE (CAST(:npwps AS text[]) IS NULL OR t.npwp = ANY(CAST(:npwps AS text[])))
    AND t.kind = :kind AND extract(year FROM t.registered_at AT TIME ZONE 'Asia/Jakarta') <= :tax_year"""
# ... and, in one statement, the Art 7(1) fine of each owed return not filed by its deadline (extended or not) on
# the day of the run, unless the registry knows an Art 7(2) case. A return filed after its deadline without its fine
# (it would have had it when filed) gets `late_filing`, one not filed `not_filed`. The partial unique index makes a
# second run (or a filing at the same moment) insert nothing.
_RUN = """
WITH owed AS ({owes}
), due AS (
  SELECT o.npwp, s.id AS spt_id
  FROM owed o
  LEFT JOIN annual_extension e ON e.npwp = o.npwp AND e.form = :form AND e.period = :period
  LEFT JOIN taxpayer_status ts ON ts.taxpayer_id = o.taxpayer_id
  LEFT JOIN spt s ON s.npwp = o.npwp AND s.form = :form AND s.period = :period AND s.version = 0
                     AND s.status = 'filed'
  WHERE COALESCE(e.due_date, :due) < :run_on
    AND (ts.status IS NULL OR NOT ts.status = ANY(CAST(:exempt AS text[])))
    AND (s.id IS NULL OR CAST(s.filed_at AT TIME ZONE 'Asia/Jakarta' AS date) > COALESCE(e.due_date, :due))
)
INSERT INTO stp (id, number, npwp, reason, basis, kap_kjs, amount, form, period, spt_id, issued_on, due_date, run_id)
SELECT gen_random_uuid(), 'STP-' || :year || '-' || lpad(nextval('stp_number_seq')::text, 9, '0'), d.npwp,
       CASE WHEN d.spt_id IS NULL THEN 'not_filed' ELSE 'late_filing' END, :basis, :kap_kjs, :amount, :form,
       :period, d.spt_id, :run_on, :bill_due, :run_id
FROM due d
ON CONFLICT (npwp, form, period) WHERE reason IN ('late_filing', 'not_filed') DO NOTHING
RETURNING id, number, npwp, reason, spt_id
"""
_OUTBOX_COLUMNS = ("id", "topic", "key", "aggregate_type", "aggregate_id", "event_type", "event_version", "payload",
                   "headers")
_ADD_EVENTS = text(
    "INSERT INTO outbox (id, topic, key, aggregate_type, aggregate_id, event_type, event_version, payload, headers) "
    "SELECT * FROM unnest(CAST(:id AS uuid[]), CAST(:topic AS text[]), CAST(:key AS text[]), "
    "CAST(:aggregate_type AS text[]), CAST(:aggregate_id AS text[]), CAST(:event_type AS text[]), "
    "CAST(:event_version AS int[]), CAST(CAST(:payload AS text[]) AS jsonb[]), CAST(CAST(:headers AS text[]) AS jsonb[]))")
_RUN_MASA_PPN = text(_RUN.format(owes=OWES_MASA_PPN))
_RUN_ANNUAL = text(_RUN.format(owes=OWES_ANNUAL))


@dataclass(frozen=True)
class IssuedFine:
    id: uuid.UUID
    number: str
    npwp: str
    reason: str
    spt_id: uuid.UUID | None


@dataclass(frozen=True)
class PaymentDue:
    """What a return's payment request (Bayar dan Lapor) asked: its due date, amount, and the return."""

    spt_id: uuid.UUID
    npwp: str
    form: str
    period: str
    kap_kjs: str
    amount: Decimal
    payment_due_date: date


@dataclass(frozen=True)
class StpRow:
    id: uuid.UUID
    number: str
    npwp: str
    reason: str
    basis: str
    kap_kjs: str
    amount: Decimal
    form: str | None
    period: str | None
    spt_id: uuid.UUID | None
    issued_on: date
    due_date: date
    principal: Decimal | None = None
    interest_months: int | None = None
    monthly_rate_percent: Decimal | None = None
    invoice_id: str | None = None


def _row(r: Any) -> StpRow:
    return StpRow(r.id, r.number, r.npwp, r.reason, r.basis, r.kap_kjs, r.amount, r.form, r.period, r.spt_id,
                  r.issued_on, r.due_date, r.principal, r.interest_months, r.monthly_rate_percent, r.invoice_id)


class StpRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def next_serial(self) -> int:
        return int((await self.session.execute(select(stp_number_seq.next_value()))).scalar_one())

    async def add_return_fine(self, values: dict[str, Any]) -> StpRow | None:
        """The new STP; None when the return already bears its Art 7(1) fine."""
        row = (await self.session.execute(_ADD, values)).first()
        return _row(row) if row is not None else None

    async def run_return_fines(self, *, annual: bool, params: dict[str, Any]) -> list[IssuedFine]:
        rows = await self.session.execute(_RUN_ANNUAL if annual else _RUN_MASA_PPN, params)
        return [IssuedFine(*r) for r in rows]

    async def add_run(self, values: dict[str, Any]) -> None:
        await self.session.execute(insert(sanction_run), values)

    async def has_run(self, obligation: str, period: str, *, on: date | None = None) -> bool:
        """A scheduled run of this deadline (on that day, when `on` is given) is recorded (an officer's run may have
        been for some taxpayers only)."""
        query = select(func.count()).select_from(sanction_run).where(
            sanction_run.c.obligation == obligation, sanction_run.c.period == period,
            sanction_run.c.trigger == "schedule")
        if on is not None:
            query = query.where(sanction_run.c.run_on == on)
        return bool((await self.session.execute(query)).scalar_one())

    async def try_lock(self, name: str) -> bool:
        """A transaction-scoped advisory lock: one sanction run at a time, whichever worker or officer starts it."""
        return bool((await self.session.execute(
            select(func.pg_try_advisory_xact_lock(func.hashtext(bindparam("name", type_=Text)))),
            {"name": name})).scalar_one())

    async def payment_due(self, spt_id: uuid.UUID, kap_kjs: str) -> PaymentDue | None:
        """What a Normal's payment was due (Art 9(2a)); a pembetulan's raise paid late bears Art 8(2a) interest
        instead (`issue_correction_interest_stp`), never both."""
        row = (await self.session.execute(
            select(spt.c.id, spt.c.npwp, spt.c.form, spt.c.period, spt_payment.c.kap_kjs, spt_payment.c.amount,
                   spt_payment.c.payment_due_date)
            .join(spt_payment, spt_payment.c.spt_id == spt.c.id)
            .where(spt.c.id == spt_id, spt.c.version == 0, spt_payment.c.kap_kjs == kap_kjs))).first()
        return PaymentDue(*row) if row is not None else None

    async def add_late_payment(self, values: dict[str, Any]) -> StpRow | None:
        row = (await self.session.execute(_ADD_LATE_PAYMENT, values)).first()
        return _row(row) if row is not None else None

    async def add_late_fakturs(self, rows: Sequence[dict[str, Any]]) -> list[StpRow]:
        """Each new STP (a faktur that already bears its Art 14(4) fine is skipped)."""
        if not rows:
            return []
        result = await self.session.execute(_ADD_LATE_FAKTUR.values(list(rows)))
        return [_row(r) for r in result]

    async def add_events(self, rows: list[dict[str, Any]]) -> None:
        """Outbox rows (`kit.outbox.outbox_row`) in bulk: one statement over arrays (a sanction run writes 100,000
        at once); the relay is woken at commit."""
        if not rows:
            return
        columns = {name: [r[name] for r in rows] for name in _OUTBOX_COLUMNS}
        for name in ("payload", "headers"):
            columns[name] = [json.dumps(v, separators=(",", ":"), ensure_ascii=False) for v in columns[name]]
        await self.session.execute(_ADD_EVENTS, columns)
        await notify_once(self.session, NOTIFY_CHANNEL)

    async def of_npwp(self, npwp: str) -> list[StpRow]:
        rows = await self.session.execute(select(stp).where(stp.c.npwp == npwp).order_by(stp.c.created_at,
                                                                                         stp.c.number))
        return [_row(r) for r in rows]

    async def for_spts(self, spt_ids: Sequence[uuid.UUID]) -> list[StpRow]:
        if not spt_ids:
            return []
        rows = await self.session.execute(select(stp).where(stp.c.spt_id.in_(spt_ids)).order_by(stp.c.created_at))
        return [_row(r) for r in rows]

    async def add(self, values: dict[str, Any]) -> StpRow:
        """A new STP no unique index guards (its caller issues it once: a pembetulan's interest, when it is filed)."""
        return _row((await self.session.execute(pg_insert(stp).values(**values).returning(*stp.c))).one())
