"""SQL of the debts slice: debts (unique per source and reference, and per STP/SKP number), the taxpayer's debts
with their payable code, and the legacy import's records."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, literal, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import notify_once
from kit.outbox import NOTIFY_CHANNEL
from kit.pagination import CursorParams
from payment.models import Billing, Debt, LegacyDebtImport, Payment, outbox

# A conflict on either unique key (source + reference, or the STP/SKP number) inserts nothing; the service finds
# out which.
_INSERT = insert(Debt).on_conflict_do_nothing()

# The legacy import's staging tables (temporary, dropped at commit): the checked rows, the ids of those inserted as
# debts, and what became of the others.
STAGE, NEW, SEEN = "legacy_debt_stage", "legacy_debt_new", "legacy_debt_seen"
STAGE_COLUMNS = ("line", "id", "transfer_id", "liability_id", "revenue_id", "npwp", "kind", "kap", "kjs",
                 "period", "assessment_number", "amount", "issued_on", "due_date", "reference")
# What the ledger records for the debts inserted (`ledger.service.record_liabilities_from`).
STAGED_RECORDINGS = (
    f"(SELECT s.transfer_id, s.liability_id, s.revenue_id, s.npwp, s.kap || '-' || s.kjs AS kap_kjs, s.period, "
    f"s.assessment_number, s.amount, s.id::text AS reference, "
    f"(s.issued_on::timestamp - interval '7 hours') AT TIME ZONE 'UTC' AS effective_at "  # 00:00 WIB of the issue
    f"FROM {STAGE} s JOIN {NEW} n USING (id))")
ASSESSMENT_RECORDED, REFERENCE_CONFLICT = "debt.assessment_already_recorded", "legacy_debt.reference_conflict"


class DebtRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def insert(self, values: dict[str, Any]) -> Debt | None:
        return (await self.session.scalars(_INSERT.returning(Debt), [values])).one_or_none()

    async def insert_many(self, rows: Sequence[dict[str, Any]]) -> set[uuid.UUID]:
        """The ids of the rows inserted (the others met a debt with their reference or their STP/SKP number)."""
        if not rows:
            return set()
        return set((await self.session.scalars(_INSERT.returning(Debt.id), rows)).all())

    async def by_source(self, source: str, reference: str) -> Debt | None:
        return (await self.session.scalars(
            select(Debt).where(Debt.source == source, Debt.source_reference == reference))).one_or_none()

    async def by_source_references(self, source: str, references: Sequence[str]) -> dict[str, Debt]:
        if not references:
            return {}
        found = await self.session.scalars(
            select(Debt).where(Debt.source == source, Debt.source_reference.in_(references)))
        return {d.source_reference: d for d in found}

    async def by_assessment(self, npwp: str, kap: str, kjs: str, assessment_number: str) -> Debt | None:
        return (await self.session.scalars(
            select(Debt).where(Debt.npwp == npwp, Debt.kap == kap, Debt.kjs == kjs,
                               Debt.assessment_number == assessment_number))).one_or_none()

    async def get(self, debt_id: uuid.UUID) -> tuple[Debt, Billing | None] | None:
        """The debt and its code that is payable or paid, if any."""
        row = (await self.session.execute(
            select(Debt, Billing).outerjoin(Billing, _open_code()).where(Debt.id == debt_id))).first()
        return (row[0], row[1]) if row else None

    async def get_for_update(self, debt_id: uuid.UUID) -> Debt | None:
        return (await self.session.scalars(
            select(Debt).where(Debt.id == debt_id).with_for_update()
            .execution_options(populate_existing=True))).one_or_none()

    async def page(self, npwp: str, params: CursorParams,
                   status: str | None) -> tuple[list[tuple[Debt, Billing | None]], bool]:
        """The taxpayer's debts in (recorded_at, id) order, each with its open code; and whether more follow."""
        query = (select(Debt, Billing).outerjoin(Billing, _open_code()).where(Debt.npwp == npwp)
                 .order_by(Debt.recorded_at, Debt.id).limit(params.limit + 1))
        if status is not None:
            query = query.where(Debt.status == status)
        if params.after is not None:
            query = query.where(tuple_(Debt.recorded_at, Debt.id)
                                > tuple_(literal(params.after.created_at), literal(params.after.id)))
        rows = (await self.session.execute(query)).all()
        return [(r[0], r[1]) for r in rows[:params.limit]], len(rows) > params.limit

    async def mark_settled(self, debt: Debt, *, settled_at: datetime, ntpn: str | None) -> None:
        debt.status, debt.settled_at, debt.ntpn, debt.version = "settled", settled_at, ntpn, debt.version + 1
        debt.outstanding, debt.interest_next_on, debt.interest_waiting_month = Decimal(0), None, None
        await self.session.flush()

    async def paid_by(self, ntpn: str) -> tuple[Decimal, int | None]:
        """The amount of the payment `ntpn` and the instalment its code pays (None: the whole debt)."""
        row = (await self.session.execute(
            select(Billing.amount, Billing.instalment_number).join(Payment, Payment.billing_id == Billing.id)
            .where(Payment.ntpn == ntpn))).one()
        return row[0], row[1]

    async def ntpns_for(self, debt_id: uuid.UUID) -> list[str]:
        """The payments of the debt's codes (the whole debt, its instalments), in payment order."""
        rows = await self.session.scalars(
            select(Payment.ntpn).join(Billing, Payment.billing_id == Billing.id)
            .where(Billing.debt_id == debt_id).order_by(Payment.paid_at, Payment.confirmed_at, Payment.ntpn))
        return list(rows)

    async def flush(self) -> None:
        await self.session.flush()

    # -- Art 19 interest -------------------------------------------------------------------------------------------
    async def claim_interest_due(self, today: date, limit: int) -> list[Debt]:
        """Open debts for which another month of interest counts by `today`, locked (SKIP LOCKED: several workers
        never take the same debt, and a debt being paid right now is left to its payment)."""
        return list((await self.session.scalars(
            select(Debt).where(Debt.status == "open", Debt.interest_next_on.is_not(None),
                               Debt.interest_next_on <= today)
            .order_by(Debt.interest_next_on, Debt.id).limit(limit)
            .with_for_update(skip_locked=True).execution_options(populate_existing=True))).all())

    async def wait_for_rates(self, today: date, *, months_with_rate: Sequence[date], besides: Sequence[uuid.UUID],
                             limit: int) -> dict[date, int]:
        """Up to `limit` more open debts due for interest by `today` whose interest starts in a month not in
        `months_with_rate` (not `besides`, the batch the caller holds): each waits for its month (`interest_next_on`
        null, so no pass claims it) until that month's publication re-arms it (`rearm_waiting`). One statement;
        locked with SKIP LOCKED in claim order, like the claim. Returns how many now wait, by month."""
        month = "CAST(date_trunc('month', CAST(interest_from AS timestamp)) AS date)"  # the first day of its month
        rows = await self.session.execute(text(
            "WITH due AS (SELECT id FROM debt WHERE status = 'open' AND interest_next_on IS NOT NULL "
            f"AND interest_next_on <= :today AND {month} <> ALL(CAST(:known AS date[])) "
            "AND id <> ALL(CAST(:besides AS uuid[])) ORDER BY interest_next_on, id LIMIT :limit "
            "FOR UPDATE SKIP LOCKED), "
            f"moved AS (UPDATE debt SET interest_waiting_month = {month}, interest_next_on = NULL "
            "FROM due WHERE debt.id = due.id RETURNING debt.interest_waiting_month AS month) "
            "SELECT month, count(*) FROM moved GROUP BY month"),
            {"today": today, "known": list(months_with_rate), "besides": list(besides), "limit": limit})
        return {month: count for month, count in rows}

    async def rearm_waiting(self, month: date) -> int:
        """The open debts waiting for `month`'s rates (its first day) no longer wait: due again from the day their
        next month of interest counts (`interest_from` + the months reported + 1 day, what the pass itself would
        set), so the next pass reports the interest to date. One statement; locked in id order (as a confirmation's
        batch locks debts). A debt granted instalments meanwhile stops waiting without being due: no Art 19 interest
        runs while its schedule does. Returns how many are due again."""
        result = await self.session.execute(text(
            "WITH waiting AS MATERIALIZED (SELECT d.id, EXISTS (SELECT FROM instalment_arrangement a "
            "WHERE a.debt_id = d.id AND a.status = 'granted') AS in_instalments FROM debt d "
            "WHERE d.status = 'open' AND d.interest_waiting_month = :month AND d.interest_next_on IS NULL "
            "ORDER BY d.id FOR UPDATE OF d), "
            "rearmed AS (UPDATE debt d SET interest_waiting_month = NULL, interest_next_on = CASE "
            "WHEN w.in_instalments THEN NULL "
            "ELSE CAST(d.interest_from + make_interval(months => d.interest_months) AS date) + 1 END "
            "FROM waiting w WHERE d.id = w.id RETURNING d.interest_next_on) "
            "SELECT count(*) FROM rearmed WHERE interest_next_on IS NOT NULL"), {"month": month})
        return result.scalar_one()  # type: ignore[no-any-return]

    async def add_events(self, rows: list[dict[str, Any]]) -> None:
        """Outbox rows (`kit.outbox.outbox_row`) in one statement (a batch of imported debts); the relay is woken at
        commit."""
        if rows:
            await self.session.execute(insert(outbox), rows)
            await notify_once(self.session, NOTIFY_CHANNEL)

    # -- the legacy import -----------------------------------------------------------------------------------------
    async def add_import(self, record: LegacyDebtImport) -> None:
        self.session.add(record)
        await self.session.flush()

    async def finish_import(self, import_id: uuid.UUID, *, rows: int, imported: int, report: dict[str, Any],
                            events_template: dict[str, Any], events_done_at: datetime | None) -> None:
        await self.session.execute(update(LegacyDebtImport).where(LegacyDebtImport.id == import_id).values(
            rows=rows, imported=imported, report=report, events_template=events_template,
            events_done_at=events_done_at))

    async def get_import(self, import_id: uuid.UUID) -> LegacyDebtImport | None:
        return await self.session.get(LegacyDebtImport, import_id)

    # -- the legacy import, set-based: rows COPYed to a staging table, then a few statements over all of them ------
    async def create_stage(self, *, statement_timeout_s: float, work_mem: str = "64MB") -> Any:
        """The transaction's staging tables (dropped at its end) and the driver's connection to COPY into them. A
        statement over all the rows may take longer than the usual command timeout: PostgreSQL's own
        `statement_timeout` bounds them instead (see `long_statements`)."""
        await self.session.execute(text(f"SET LOCAL statement_timeout = '{int(statement_timeout_s * 1000)}ms'"))
        await self.session.execute(text(f"SET LOCAL work_mem = '{work_mem}'"))
        await self.session.execute(text(
            f"CREATE TEMP TABLE {STAGE} (line integer NOT NULL, id uuid NOT NULL, transfer_id uuid NOT NULL, "
            "liability_id uuid NOT NULL, revenue_id uuid NOT NULL, npwp text NOT NULL, "
            "kind text NOT NULL, "
            "kap text NOT NULL, kjs text NOT NULL, period text, assessment_number text, amount bigint NOT NULL, "
            "issued_on date NOT NULL, due_date date NOT NULL, reference text NOT NULL) ON COMMIT DROP"))
        await self.session.execute(text(f"CREATE TEMP TABLE {NEW} (id uuid NOT NULL) ON COMMIT DROP"))
        return (await (await self.session.connection()).get_raw_connection()).driver_connection

    @staticmethod
    @asynccontextmanager
    async def long_statements(raw: Any, timeout_s: float) -> AsyncIterator[None]:
        """The driver's client-side command timeout raised to `timeout_s` on this connection until the block ends
        (asyncpg reads it from the connection's configuration at each command; it has no per-statement setting
        through SQLAlchemy)."""
        before = raw._config
        raw._config = before._replace(command_timeout=timeout_s)
        try:
            yield
        finally:
            raw._config = before

    @staticmethod
    async def stage(raw: Any, records: Sequence[tuple[Any, ...]]) -> None:
        if records:
            await raw.copy_records_to_table(STAGE, records=records, columns=STAGE_COLUMNS)

    async def insert_staged(self, import_id: uuid.UUID, recorded_at: datetime) -> int:
        """Every staged row as a debt, in file order, unless its reference or its STP/SKP number is a debt already
        (an earlier file, or an earlier row of this one); the ids inserted are kept in the `NEW` table."""
        await self.session.execute(text(f"ANALYZE {STAGE}"))  # temp tables have no statistics until analysed
        result = await self.session.execute(text(
            f"WITH inserted AS (INSERT INTO debt (id, npwp, kind, kap, kjs, period, assessment_number, amount, "
            "issued_on, due_date, source, source_reference, import_id, status, recorded_at, version, outstanding, "
            "interest_principal, interest_from, interest_next_on, interest_months, interest_accrued) "
            "SELECT id, npwp, kind, kap, kjs, period, assessment_number, amount, issued_on, due_date, 'legacy', "
            "reference, :import_id, 'open', :recorded_at, 1, amount, amount, due_date, due_date + 1, 0, 0 "
            f"FROM {STAGE} ORDER BY line ON CONFLICT DO NOTHING RETURNING id) "
            f"INSERT INTO {NEW} SELECT id FROM inserted"), {"import_id": import_id, "recorded_at": recorded_at})
        await self.session.execute(text(f"ANALYZE {NEW}"))
        return result.rowcount  # type: ignore[attr-defined, no-any-return]

    async def claim_import_with_events_due(self) -> LegacyDebtImport | None:
        """The oldest import whose `DebtRecorded` events are not all written, locked (SKIP LOCKED: two workers never
        write the same import's events)."""
        return (await self.session.scalars(
            select(LegacyDebtImport).where(LegacyDebtImport.events_done_at.is_(None))
            .order_by(LegacyDebtImport.created_at).limit(1)
            .with_for_update(skip_locked=True).execution_options(populate_existing=True))).one_or_none()

    async def add_recorded_events(self, import_id: uuid.UUID, *, after: uuid.UUID, limit: int,
                                  template: dict[str, Any], aggregate_type: str) -> tuple[int, uuid.UUID | None]:
        """One `DebtRecorded` outbox row for each of the next `limit` debts of the import after `after` (in id
        order): `template` is an `outbox_row` (payload, headers, topic) whose per-debt fields (ids, the debt's facts)
        are set here. Returns how many were written and the last debt's id. The relay is woken at commit."""
        envelope, headers, data = template["payload"], template["headers"], template["payload"]["data"]
        fixed = {"type": envelope["type"], "version": envelope["version"], "source": envelope["source"],
                 "sequence": envelope["sequence"], "time": envelope["time"], "spec": envelope["spec"],
                 "correlation_id": envelope["correlation_id"], "causation_id": envelope["causation_id"],
                 "legacy": data["legacy"], "recorded_at": data["recorded_at"],
                 "headers": json.dumps({k: v for k, v in headers.items() if k != "event_id"})}
        row = (await self.session.execute(text(
            "WITH e AS MATERIALIZED (SELECT d.id, d.npwp, d.kind, d.kap, d.kjs, d.period, d.assessment_number, "
            "d.amount, d.issued_on, d.due_date, d.source_reference, gen_random_uuid() AS event_id FROM debt d "
            "WHERE d.import_id = :import_id AND d.id > :after ORDER BY d.id LIMIT :limit), "
            "written AS (INSERT INTO outbox (id, topic, key, aggregate_type, aggregate_id, event_type, event_version, "
            "payload, headers) SELECT e.event_id, :topic, e.npwp, :aggregate_type, e.id::text, :type, :version, "
            "jsonb_build_object('id', e.event_id, 'type', CAST(:type AS text), 'version', CAST(:version AS integer), "
            "'source', CAST(:source AS text), 'subject', e.id::text, 'sequence', CAST(:sequence AS integer), "
            "'partition_key', e.npwp, 'time', CAST(:time AS text), 'correlation_id', CAST(:correlation_id AS text), "
            "'causation_id', CAST(:causation_id AS text), 'spec', CAST(:spec AS integer), 'data', jsonb_build_object("
            "'debt_id', e.id::text, 'npwp', e.npwp, 'kind', e.kind, 'kap_kjs', e.kap || '-' || e.kjs, "
            "'assessment_number', e.assessment_number, 'period', e.period, 'amount', round(e.amount)::text, "
            "'issued_on', to_char(e.issued_on, 'YYYY-MM-DD'), 'due_date', to_char(e.due_date, 'YYYY-MM-DD'), "
            "'legacy', CAST(:legacy AS boolean), 'source_reference', e.source_reference, "
            "'recorded_at', CAST(:recorded_at AS text))), "
            "CAST(:headers AS jsonb) || jsonb_build_object('event_id', e.event_id::text) FROM e ORDER BY e.id) "
            "SELECT count(*) AS written, (SELECT id FROM e ORDER BY id DESC LIMIT 1) AS last FROM e"),
            {"import_id": import_id, "after": after, "limit": limit, "topic": template["topic"],
             "aggregate_type": aggregate_type, **fixed})).one()
        if row.written:
            await notify_once(self.session, NOTIFY_CHANNEL)
        return row.written, row.last

    async def events_written(self, record: LegacyDebtImport, *, written: int, last: uuid.UUID | None,
                             done_at: datetime | None) -> None:
        record.events_written += written
        record.events_after = last or record.events_after
        record.events_done_at = done_at
        await self.session.flush()

    async def classify_staged(self) -> None:
        """What became of the staged rows not inserted (`SEEN`): the debt their reference names is identical
        (`already_imported`) or not (`legacy_debt.reference_conflict`); no debt has their reference, so their
        STP/SKP number is a debt already (`debt.assessment_already_recorded`)."""
        await self.session.execute(text(
            f"CREATE TEMP TABLE {SEEN} ON COMMIT DROP AS SELECT s.line, s.reference, s.npwp, s.kap, s.kjs, "
            "s.assessment_number, s.amount, d.id AS debt_id, CASE WHEN d.id IS NULL THEN :assessment "
            "WHEN (d.npwp, d.kap, d.kjs, d.period, d.assessment_number, d.amount, d.issued_on, d.due_date) "
            "IS NOT DISTINCT FROM (s.npwp, s.kap, s.kjs, s.period, s.assessment_number, s.amount, s.issued_on, "
            "s.due_date) THEN 'already_imported' ELSE :conflict END AS outcome "
            f"FROM {STAGE} s LEFT JOIN debt d ON d.source = 'legacy' AND d.source_reference = s.reference "
            f"WHERE NOT EXISTS (SELECT FROM {NEW} n WHERE n.id = s.id)"),
            {"assessment": ASSESSMENT_RECORDED, "conflict": REFERENCE_CONFLICT})

    async def clear_stage(self) -> None:
        """Empty the staging tables for the next chunk."""
        await self.session.execute(text(f"TRUNCATE {STAGE}, {NEW}"))
        await self.session.execute(text(f"DROP TABLE {SEEN}"))

    async def staged_outcomes(self) -> list[tuple[str, str, str, int, Decimal]]:
        """(outcome or rejection code, kap, kjs, rows, amount) of the staged rows."""
        rows = await self.session.execute(text(
            f"SELECT 'imported', s.kap, s.kjs, count(*), sum(s.amount) FROM {STAGE} s JOIN {NEW} n USING (id) "
            f"GROUP BY s.kap, s.kjs UNION ALL SELECT outcome, kap, kjs, count(*), sum(amount) FROM {SEEN} "
            "GROUP BY outcome, kap, kjs"))
        return [(r[0], r[1], r[2], r[3], r[4]) for r in rows]

    async def staged_rejections(self, limit: int) -> list[Any]:
        """The first `limit` staged rows rejected, in file order."""
        if limit <= 0:
            return []
        rows = await self.session.execute(text(
            f"SELECT line, reference, npwp, kap, kjs, assessment_number, amount, debt_id, outcome FROM {SEEN} "
            "WHERE outcome <> 'already_imported' ORDER BY line LIMIT :limit"), {"limit": limit})
        return list(rows)


def _open_code() -> Any:
    return and_(Billing.debt_id == Debt.id, Billing.instalment_number.is_(None), Billing.status != "expired")
