"""SQL of the confirmations slice: payments (one per billing code, one per bank reference, one per NTPN), written
set-based for a batch of confirmations: one statement locks the batch's codes, one writes its payments with
everything they change."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from kit.outbox import outbox_insert_sql, outbox_notify_sql
from payment.ledger.repository import gated_postings_sql
from payment.models import Billing, Payment, taxpayer

_PAYMENT = "p.id AS payment_id, p.ntpn, p.billing_code AS paid_code, p.npwp AS paid_npwp, p.bank_id, " \
           "p.bank_reference, p.amount AS paid_amount, p.paid_at AS payment_paid_at, p.confirmed_at"
# A locked code's columns, first in each row of `lock_codes`, in the order of `rules.Code`'s fields (the service
# builds a Code from them by position: a row's attributes cost more than the rest of the row's handling).
CODE_COLUMNS = ("id", "code", "npwp", "kap", "kjs", "period", "assessment_number", "amount", "origin", "spt_id",
                "debt_id", "status", "expires_at", "paid_at", "version")
_CODE = ", ".join(f"b.{column}" for column in CODE_COLUMNS)
# Locked in code order, so two batches never wait for each other in a circle. A code paid by a transaction this one
# waited for comes back `paid` (PostgreSQL re-reads a locked row once it is free), but its payment, inserted by that
# transaction, is past this statement's snapshot: `payments_of` reads it after.
_LOCK = text(f"SELECT {_CODE}, {_PAYMENT} FROM billing b LEFT JOIN payment p ON p.billing_id = b.id "
             f"WHERE b.code = ANY(CAST(:codes AS text[])) ORDER BY b.code FOR UPDATE OF b")
_PAYMENTS_OF = text(f"SELECT b.id, {_PAYMENT} FROM payment p JOIN billing b ON b.id = p.billing_id "
                    f"WHERE p.billing_id = ANY(CAST(:ids AS uuid[]))")
_BY_REFERENCES = text(
    f"SELECT {_PAYMENT}, b.kap, b.kjs, b.period, b.assessment_number FROM payment p "
    f"JOIN unnest(CAST(:banks AS text[]), CAST(:references AS text[])) AS r(bank_id, bank_reference) "
    f"ON p.bank_id = r.bank_id AND p.bank_reference = r.bank_reference JOIN billing b ON b.id = p.billing_id")

_PAYMENT_COLUMNS = (("id", "uuid"), ("ntpn", "text"), ("billing_id", "uuid"), ("bank_id", "text"),
                    ("bank_reference", "text"), ("paid_at", "timestamptz"))
_ACCOUNTS, _TRANSFERS = gated_postings_sql("inserted")
# The payments, each code marked paid, the ledger postings and the events: one statement. A payment meeting any
# unique conflict (its NTPN, its bank reference: the codes are locked) is not inserted, and then nothing of it is:
# every other part goes in only for the payments inserted.
_CONFIRM = text(
    "WITH v AS (SELECT * FROM unnest("
    + ", ".join(f"CAST(:{name} AS {kind}[])" for name, kind in _PAYMENT_COLUMNS)
    + ") AS v(" + ", ".join(name for name, _ in _PAYMENT_COLUMNS) + ")), "
    "inserted AS (INSERT INTO payment (id, ntpn, billing_id, billing_code, npwp, bank_id, bank_reference, amount, "
    "paid_at, confirmed_at) SELECT v.id, v.ntpn, b.id, b.code, b.npwp, v.bank_id, v.bank_reference, b.amount, "
    "v.paid_at, CAST(:confirmed_at AS timestamptz) FROM v JOIN billing b ON b.id = v.billing_id "
    "ORDER BY v.bank_id, v.bank_reference ON CONFLICT DO NOTHING RETURNING id), "
    "paid AS (UPDATE billing b SET status = 'paid', paid_at = v.paid_at, version = b.version + 1 "
    "FROM v JOIN inserted i ON i.id = v.id WHERE b.id = v.billing_id), "
    f"accounts AS ({_ACCOUNTS}), transfers AS ({_TRANSFERS}), events AS ({outbox_insert_sql('inserted')}), "
    f"woken AS ({outbox_notify_sql('inserted')}) "
    "SELECT inserted.id FROM inserted LEFT JOIN woken ON true")


class PaymentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def lock_codes(self, codes: Sequence[str]) -> list[Row[Any]]:
        """The codes (those that exist), locked, each with its payment if the statement's snapshot has one."""
        return list(await self.session.execute(_LOCK, {"codes": list(codes)}))

    async def payments_of(self, billing_ids: Sequence[uuid.UUID]) -> list[Row[Any]]:
        return list(await self.session.execute(_PAYMENTS_OF, {"ids": list(billing_ids)}))

    async def by_references(self, references: Sequence[tuple[str, str]]) -> list[Row[Any]]:
        """The payments with these (bank, bank reference), with their codes' KAP, KJS, period and number."""
        return list(await self.session.execute(_BY_REFERENCES, {"banks": [b for b, _ in references],
                                                                 "references": [r for _, r in references]}))

    async def insert_confirmed(self, payments: Sequence[dict[str, Any]], confirmed_at: datetime,
                               postings: dict[str, list[Any]], events: dict[str, list[Any]]) -> set[uuid.UUID]:
        """Insert the payments (`id`, `ntpn`, `billing_id`, `bank_id`, `bank_reference`, `paid_at`; the code's
        number, NPWP and amount from the code, locked by this transaction) and, for each one inserted, mark its code
        paid (version + 1), post its ledger rows (`ledger.repository.gated_postings_params`, gated on the payment
        id) and add its events (`kit.outbox.outbox_arrays`, idem). The ids of the payments inserted."""
        params: dict[str, Any] = {name: [p[name] for p in payments] for name, _ in _PAYMENT_COLUMNS}
        rows = await self.session.execute(_CONFIRM, {**params, **postings, **events, "confirmed_at": confirmed_at})
        return {row[0] for row in rows}

    async def by_ntpn(self, ntpn: str) -> tuple[Payment, Billing, str | None] | None:
        """The payment, its billing code and the taxpayer's name from the registry replica (None until known)."""
        row = (await self.session.execute(
            select(Payment, Billing, taxpayer.c.name).join(Billing, Billing.id == Payment.billing_id)
            .outerjoin(taxpayer, taxpayer.c.npwp == Payment.npwp).where(Payment.ntpn == ntpn)
        )).first()
        return (row[0], row[1], row[2]) if row else None
