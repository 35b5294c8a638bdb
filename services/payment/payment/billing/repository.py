"""SQL of the billing slice."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import literal, select, text, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kit.idempotency import ANSWERED_CLAIMS_SQL
from kit.outbox import outbox_insert_sql, outbox_notify_sql
from kit.pagination import CursorParams
from payment.models import Billing, Payment, taxpayer

_COLUMNS = (("id", "uuid"), ("code", "text"), ("npwp", "text"), ("kap", "text"), ("kjs", "text"), ("period", "text"),
            ("assessment_number", "text"), ("amount", "numeric"), ("origin", "text"), ("spt_id", "text"),
            ("debt_id", "uuid"), ("instalment_number", "integer"), ("status", "text"), ("created_by", "text"),
            ("created_at", "timestamptz"), ("expires_at", "timestamptz"), ("version", "integer"), ("nop", "text"),
            ("transfer_value", "numeric"), ("buyer_id", "text"))
_NAMES = ", ".join(name for name, _ in _COLUMNS)
# The codes and their events, one statement. A code drawn before (any code ever issued) inserts nothing, and then
# neither does its event; any other unique conflict (an SPT's or a debt's second payable code) fails the statement.
_INSERT_MANY = text(
    "WITH inserted AS (INSERT INTO billing (" + _NAMES + ") SELECT * FROM unnest("
    + ", ".join(f"CAST(:{name} AS {kind}[])" for name, kind in _COLUMNS)
    + ") ON CONFLICT (code) DO NOTHING RETURNING id), "
    f"events AS ({outbox_insert_sql('inserted')}), woken AS ({outbox_notify_sql('inserted')}) "
    "SELECT inserted.id FROM inserted LEFT JOIN woken ON true")
# The same with the requests' Idempotency-Key claims and answers (kit.idempotency.ANSWERED_CLAIMS_SQL): a code goes
# in for a request without a key or whose key was claimed here. No ON CONFLICT on the code: a code issued before
# fails the statement, which is the whole use case (no transaction around it), and is drawn again (`CodeTaken`).
_INSERT_CLAIMED = text(
    f"WITH claimed AS ({ANSWERED_CLAIMS_SQL}), v AS (SELECT * FROM unnest("
    + ", ".join(f"CAST(:{name} AS {kind}[])" for name, kind in _COLUMNS)
    + ", CAST(:gate_owner AS text[]), CAST(:gate_key AS text[])) AS v(" + _NAMES + ", gate_owner, gate_key)), "
    "inserted AS (INSERT INTO billing (" + _NAMES + ") SELECT " + _NAMES + " FROM v WHERE v.gate_key IS NULL "
    "OR EXISTS (SELECT 1 FROM claimed c WHERE c.owner = v.gate_owner AND c.key = v.gate_key) RETURNING id), "
    f"events AS ({outbox_insert_sql('inserted')}), woken AS ({outbox_notify_sql('inserted')}) "
    "SELECT owner, key FROM claimed UNION ALL SELECT NULL, NULL FROM woken")


class CodeTaken(Exception):
    """A code drawn for `insert_claimed` was issued before: draw again."""


class BillingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def insert_many(self, rows: list[dict[str, Any]], events: dict[str, list[Any]]) -> set[uuid.UUID]:
        """Insert the codes (`rows`: every column) and, for each one inserted, its events (`kit.outbox.outbox_arrays`,
        gated on the code's id). The ids inserted: a code whose number was issued before is not."""
        params = {name: [row[name] for row in rows] for name, _ in _COLUMNS}
        return {row[0] for row in await self.session.execute(_INSERT_MANY, {**params, **events})}

    async def insert_claimed(self, rows: list[dict[str, Any]], events: dict[str, list[Any]],
                             claims: dict[str, list[Any]], gates: list[tuple[str, str] | None]) -> set[tuple[str, str]]:
        """One statement: the Idempotency-Key claims with their answers (`kit.idempotency.answered_claims_params`),
        the codes of the requests without a key or with a key claimed here (`gates`: each row's (owner, key), None
        without a key) and their events. The (owner, key) claimed. `CodeTaken` when a code was issued before."""
        params = {name: [row[name] for row in rows] for name, _ in _COLUMNS}
        params |= {"gate_owner": [g[0] if g else None for g in gates], "gate_key": [g[1] if g else None for g in gates]}
        try:
            result = await self.session.execute(_INSERT_CLAIMED, {**params, **events, **claims})
        except IntegrityError as exc:
            if "billing_code_key" in str(exc.orig):
                raise CodeTaken from exc
            raise
        return {(owner, key) for owner, key in result if owner is not None}

    async def get_by_code(self, code: str) -> tuple[Billing, Payment | None] | None:
        row = (await self.session.execute(
            select(Billing, Payment).outerjoin(Payment, Payment.billing_id == Billing.id).where(Billing.code == code)
        )).first()
        return (row[0], row[1]) if row else None

    async def page(self, npwp: str, params: CursorParams, *, status: str | None,
                   spt_id: str | None) -> tuple[list[tuple[Billing, Payment | None]], bool]:
        """The taxpayer's codes in (created_at, id) order, each with its payment; and whether more follow."""
        query = (select(Billing, Payment).outerjoin(Payment, Payment.billing_id == Billing.id)
                 .where(Billing.npwp == npwp).order_by(Billing.created_at, Billing.id).limit(params.limit + 1))
        if status is not None:
            query = query.where(Billing.status == status)
        if spt_id is not None:
            query = query.where(Billing.spt_id == spt_id)
        if params.after is not None:
            query = query.where(tuple_(Billing.created_at, Billing.id)
                                > tuple_(literal(params.after.created_at), literal(params.after.id)))
        rows = (await self.session.execute(query)).all()
        return [(r[0], r[1]) for r in rows[:params.limit]], len(rows) > params.limit

    async def get_with_taxpayer_name(self, code: str) -> tuple[Billing, str | None] | None:
        """The code and the taxpayer's name from the registry replica (None until identity's event arrived)."""
        row = (await self.session.execute(
            select(Billing, taxpayer.c.name).outerjoin(taxpayer, taxpayer.c.npwp == Billing.npwp)
            .where(Billing.code == code)
        )).first()
        return (row[0], row[1]) if row else None

    async def get_for_update(self, code: str) -> Billing | None:
        """The code, locked: its payment, its expiry and its events happen one at a time."""
        return (await self.session.scalars(
            select(Billing).where(Billing.code == code).with_for_update()
            .execution_options(populate_existing=True)
        )).one_or_none()

    async def open_for_spt(self, spt_id: str, kap: str, kjs: str) -> Billing | None:
        """The SPT's code for this KAP-KJS that is still payable or already paid."""
        return (await self.session.scalars(
            select(Billing).where(Billing.spt_id == spt_id, Billing.kap == kap, Billing.kjs == kjs,
                                  Billing.status != "expired")
        )).first()

    async def open_for_debt(self, debt_id: uuid.UUID, *, lock: bool = False) -> Billing | None:
        """The debt's code that is still payable or already paid (at most one: `billing_debt_open_key`); `lock`
        locks it, as a confirmation does, before the debt."""
        query = select(Billing).where(Billing.debt_id == debt_id, Billing.instalment_number.is_(None),
                                      Billing.status != "expired")
        if lock:
            query = query.with_for_update().execution_options(populate_existing=True)
        return (await self.session.scalars(query)).one_or_none()

    async def open_for_instalments(self, debt_id: uuid.UUID, numbers: list[int] | None = None, *,
                                   lock: bool = False) -> list[Billing]:
        """The debt's instalment codes still payable or paid (all instalments, or those `numbers`), in number
        order; `lock` locks them (codes before the debt, as everywhere)."""
        query = (select(Billing).where(Billing.debt_id == debt_id, Billing.instalment_number.is_not(None),
                                       Billing.status != "expired").order_by(Billing.instalment_number))
        if numbers is not None:
            query = query.where(Billing.instalment_number.in_(numbers))
        if lock:
            query = query.with_for_update().execution_options(populate_existing=True)
        return list((await self.session.scalars(query)).all())

    async def mark_expired(self, billing: Billing, now: datetime) -> None:
        billing.status, billing.expired_at, billing.version = "expired", now, billing.version + 1
        await self.session.flush()

    async def mark_paid(self, billing: Billing, paid_at: datetime) -> None:
        billing.status, billing.paid_at, billing.version = "paid", paid_at, billing.version + 1
        await self.session.flush()

    async def expire_due(self, now: datetime, limit: int) -> list[Billing]:
        """Active codes past their expiry, marked expired (version + 1). Claimed with FOR UPDATE SKIP LOCKED, so two
        workers never take the same code, and a code being paid right now (locked) is left to its payment."""
        due = (select(Billing.id)
               .where(Billing.status == "active", Billing.expires_at <= now)
               .order_by(Billing.expires_at).limit(limit)
               .with_for_update(skip_locked=True))
        return list((await self.session.scalars(
            update(Billing).where(Billing.id.in_(due.scalar_subquery()), Billing.status == "active")
            .values(status="expired", expired_at=now, version=Billing.version + 1)
            .returning(Billing),
            execution_options={"synchronize_session": False, "populate_existing": True},
        )).all())
