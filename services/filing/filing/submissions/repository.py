"""All SQL of the submissions slice: the SPT row's filing states, the signed submission, the payments a return waits
for, receipts and certificates."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, desc, exists, func, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.ext.asyncio import AsyncSession

from filing.returns.models import spt
from filing.returns.repository import SPT_COLUMNS as _SPT_COLUMNS
from filing.returns.repository import SptRow
from filing.sanctions.models import stp
from filing.submissions.models import signing_certificate, spt_payment, spt_receipt, spt_submission
from kit.db import notify_once
from kit.outbox import NOTIFY_CHANNEL


@dataclass(frozen=True)
class SubmissionRow:
    spt_id: uuid.UUID
    content: str
    content_digest: str
    signature: str
    certificate_serial: str
    credential_id: uuid.UUID
    signer_account_id: str | None
    submitted_at: datetime
    outcome: str
    amount_payable: Decimal
    overpayment: Decimal
    due_date: date
    payable: dict[str, str] = field(default_factory=dict)  # KAP-KJS -> whole rupiah the version owes in full
    previous_spt_id: uuid.UUID | None = None
    tax_raise: Decimal = Decimal(0)
    shows_overpayment_or_loss: bool = False


@dataclass(frozen=True)
class PaymentRow:
    kap_kjs: str
    amount: Decimal
    status: str
    payment_due_date: date
    requested_at: datetime
    billing_code: str | None
    ntpn: str | None
    paid_at: datetime | None
    arrangement_id: str | None = None  # status 'instalment': payment's decision


@dataclass(frozen=True)
class ReceiptRow:
    number: str
    spt_id: uuid.UUID
    npwp: str
    form: str
    period: str
    spt_version: int
    filed_at: datetime
    issued_at: datetime
    content_digest: str
    due_date: date
    late: bool
    billing_code: str | None
    ntpn: str | None
    payment_date: date | None


def _submission(r: Any) -> SubmissionRow:
    return SubmissionRow(*(getattr(r, c.name) for c in spt_submission.c))


def _payment(r: Any) -> PaymentRow:
    return PaymentRow(r.kap_kjs, r.amount, r.status, r.payment_due_date, r.requested_at, r.billing_code, r.ntpn,
                      r.paid_at, r.arrangement_id)


def _receipt(r: Any) -> ReceiptRow:
    return ReceiptRow(*(getattr(r, c.name) for c in spt_receipt.c))


class SubmissionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # -- the SPT row ---------------------------------------------------------------------------------------------
    async def lock_spt(self, spt_id: uuid.UUID) -> SptRow | None:
        row = (await self.session.execute(select(*_SPT_COLUMNS).where(spt.c.id == spt_id).with_for_update())).first()
        return SptRow(*row) if row is not None else None

    async def spt(self, spt_id: uuid.UUID) -> SptRow | None:
        row = (await self.session.execute(select(*_SPT_COLUMNS).where(spt.c.id == spt_id))).first()
        return SptRow(*row) if row is not None else None

    async def spts(self, spt_ids: list[uuid.UUID]) -> dict[uuid.UUID, SptRow]:
        rows = await self.session.execute(select(*_SPT_COLUMNS).where(spt.c.id == func.any(spt_ids)))
        return {r.id: SptRow(*r) for r in rows}

    async def latest_submitted(self, npwp: str, form: str, period: str) -> SptRow | None:
        """The newest version that was submitted (awaiting payment or filed)."""
        row = (await self.session.execute(select(*_SPT_COLUMNS).where(
            spt.c.npwp == npwp, spt.c.form == form, spt.c.period == period,
            spt.c.status.in_(("awaiting_payment", "filed"))).order_by(desc(spt.c.version)).limit(1))).first()
        return SptRow(*row) if row is not None else None

    async def set_status(self, spt_id: uuid.UUID, status: str, *, filed_at: datetime | None = None) -> int:
        """Move the version to `status`; its new revision (the sequence of the events of this change)."""
        values: dict[str, Any] = {"status": status, "revision": spt.c.revision + 1, "updated_at": func.now()}
        if filed_at is not None:
            values["filed_at"] = filed_at
        return int((await self.session.execute(update(spt).where(spt.c.id == spt_id).values(**values)
                                               .returning(spt.c.revision))).scalar_one())

    # -- what was signed -----------------------------------------------------------------------------------------
    async def submission(self, spt_id: uuid.UUID) -> SubmissionRow | None:
        row = (await self.session.execute(select(spt_submission).where(spt_submission.c.spt_id == spt_id))).first()
        return _submission(row) if row is not None else None

    async def submissions(self, spt_ids: list[uuid.UUID]) -> dict[uuid.UUID, SubmissionRow]:
        rows = await self.session.execute(select(spt_submission).where(spt_submission.c.spt_id == func.any(spt_ids)))
        return {r.spt_id: _submission(r) for r in rows}

    async def keep_certificate(self, serial: str, pem: str, name: str) -> None:
        await self.session.execute(insert(signing_certificate).values(serial=serial, certificate_pem=pem,
                                                                      subject_name=name).on_conflict_do_nothing())

    async def stored_certificates(self, serials: list[str]) -> set[str]:
        """Those of the serials that are on record."""
        return set((await self.session.execute(select(signing_certificate.c.serial).where(
            signing_certificate.c.serial == func.any(serials)))).scalars())

    async def certificate(self, serial: str) -> tuple[str, str] | None:
        """(PEM, holder's name) of a certificate that signed."""
        row = (await self.session.execute(select(signing_certificate.c.certificate_pem,
                                                 signing_certificate.c.subject_name).where(
            signing_certificate.c.serial == serial))).first()
        return (row[0], row[1]) if row is not None else None

    # -- payments ------------------------------------------------------------------------------------------------
    async def payments(self, spt_id: uuid.UUID) -> list[PaymentRow]:
        rows = await self.session.execute(select(spt_payment).where(spt_payment.c.spt_id == spt_id)
                                          .order_by(spt_payment.c.kap_kjs))
        return [_payment(r) for r in rows]

    async def payments_of(self, spt_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[PaymentRow]]:
        found: dict[uuid.UUID, list[PaymentRow]] = {i: [] for i in spt_ids}
        for r in await self.session.execute(select(spt_payment).where(spt_payment.c.spt_id == func.any(spt_ids))
                                            .order_by(spt_payment.c.spt_id, spt_payment.c.kap_kjs)):
            found[r.spt_id].append(_payment(r))
        return found

    async def mark_paid(self, *, spt_id: uuid.UUID, kap_kjs: str, billing_code: str, ntpn: str, paid_at: datetime,
                        payment_id: str) -> bool:
        """False when the payment is already recorded, or the return asked for no such payment."""
        row = (await self.session.execute(update(spt_payment).where(
            spt_payment.c.spt_id == spt_id, spt_payment.c.kap_kjs == kap_kjs,
            spt_payment.c.status.in_(("requested", "expired")))
            .values(status="paid", billing_code=billing_code, ntpn=ntpn, paid_at=paid_at, payment_id=payment_id,
                    updated_at=func.now()).returning(spt_payment.c.spt_id))).first()
        return row is not None

    async def cover_by_instalments(self, *, spt_id: uuid.UUID, kap_kjs: str, arrangement_id: str) -> bool:
        """False when the request is not waiting (paid, expired, or already covered)."""
        row = (await self.session.execute(update(spt_payment).where(
            spt_payment.c.spt_id == spt_id, spt_payment.c.kap_kjs == kap_kjs, spt_payment.c.status == "requested")
            .values(status="instalment", arrangement_id=arrangement_id, updated_at=func.now())
            .returning(spt_payment.c.spt_id))).first()
        return row is not None

    async def expire(self, *, spt_id: uuid.UUID, kap_kjs: str, expired_at: datetime) -> bool:
        """False when the request is not waiting, or was made again after this code expired (a newer submission)."""
        row = (await self.session.execute(update(spt_payment).where(
            spt_payment.c.spt_id == spt_id, spt_payment.c.kap_kjs == kap_kjs, spt_payment.c.status == "requested",
            spt_payment.c.requested_at < expired_at)
            .values(status="expired", updated_at=func.now()).returning(spt_payment.c.spt_id))).first()
        return row is not None

    # -- receipts ------------------------------------------------------------------------------------------------
    async def receipt(self, number: str) -> ReceiptRow | None:
        row = (await self.session.execute(select(spt_receipt).where(spt_receipt.c.number == number))).first()
        return _receipt(row) if row is not None else None

    async def receipt_of(self, spt_id: uuid.UUID) -> ReceiptRow | None:
        row = (await self.session.execute(select(spt_receipt).where(spt_receipt.c.spt_id == spt_id))).first()
        return _receipt(row) if row is not None else None

    async def submitted_of(self, spt_ids: list[uuid.UUID]
                           ) -> dict[uuid.UUID, tuple[SptRow, SubmissionRow | None, ReceiptRow | None, bool]]:
        """Each return with what was signed, its receipt and whether it bears an STP, in one statement."""
        rows = await self.session.execute(_SUBMITTED, {"ids": spt_ids})
        found: dict[uuid.UUID, tuple[SptRow, SubmissionRow | None, ReceiptRow | None, bool]] = {}
        width = len(_SPT_COLUMNS)
        for r in rows:
            values = tuple(r)
            submission = values[width:width + len(_SUBMISSION_ALL)]
            receipt = values[width + len(_SUBMISSION_ALL):-1]
            found[values[0]] = (SptRow(*values[:width]), SubmissionRow(*submission) if submission[0] else None,
                                ReceiptRow(*receipt) if receipt[0] else None, bool(values[-1]))
        return found

    async def set_statuses(self, changes: list[tuple[uuid.UUID, str, datetime | None]]) -> dict[uuid.UUID, int]:
        """`set_status` of many versions (id, status, filed_at or None to leave it) in one statement; their new
        revisions."""
        if not changes:
            return {}
        rows = await self.session.execute(_SET_STATUSES, {
            "ids": [c[0] for c in changes], "statuses": [c[1] for c in changes],
            "filed_at": [c[2] for c in changes]})
        return {r.id: int(r.revision) for r in rows}

    async def save_submissions(self, rows: list[dict[str, Any]]) -> None:
        """What was signed, one row per version (a version signed again keeps the newest), in one statement."""
        if rows:
            columns = {name: [r[name] for r in rows] for name in _SUBMISSION_COLUMNS}
            columns["payable"] = [json.dumps(v, separators=(",", ":")) for v in columns["payable"]]
            await self.session.execute(_SAVE_SUBMISSIONS, columns)

    async def add_receipts(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            await self.session.execute(_ADD_RECEIPTS, {name: [r[name] for r in rows] for name in _RECEIPT_COLUMNS})

    async def request_payments(self, rows: list[dict[str, Any]]) -> None:
        """Payments a submitted version waits for (spt_id, kap_kjs, amount, payment_due_date, requested_at), one
        statement; a part already paid (for an earlier submission of the version) stays paid."""
        if rows:
            await self.session.execute(_REQUEST_PAYMENTS, {name: [r[name] for r in rows] for name in _REQUEST_COLUMNS})

    async def drop_payments(self, pairs: list[tuple[uuid.UUID, str]]) -> None:
        """Unpaid requests (spt_id, kap_kjs) a submission no longer owes (the caller holds the versions' locks)."""
        if pairs:
            await self.session.execute(_DROP_PAYMENTS, {"ids": [p[0] for p in pairs], "kaps": [p[1] for p in pairs]})

    async def add_events(self, rows: list[dict[str, Any]]) -> None:
        """Outbox rows (`kit.outbox.outbox_row`) in one statement; the relay is woken at commit."""
        if not rows:
            return
        columns = {name: [r[name] for r in rows] for name in _OUTBOX_COLUMNS}
        for name in ("payload", "headers"):
            columns[name] = [json.dumps(v, separators=(",", ":"), ensure_ascii=False) for v in columns[name]]
        await self.session.execute(_ADD_EVENTS, columns)
        await notify_once(self.session, NOTIFY_CHANNEL)


_SUBMISSION_ALL = tuple(spt_submission.c)
_SUBMITTED = (
    select(*_SPT_COLUMNS, *(c.label(f"s_{c.name}") for c in _SUBMISSION_ALL),
           *(c.label(f"r_{c.name}") for c in spt_receipt.c), exists().where(stp.c.spt_id == spt.c.id).label("fined"))
    .select_from(spt.outerjoin(spt_submission, spt_submission.c.spt_id == spt.c.id)
                 .outerjoin(spt_receipt, spt_receipt.c.spt_id == spt.c.id))
    .where(spt.c.id == func.any(bindparam("ids", type_=ARRAY(PG_UUID(as_uuid=True))))))
_SET_STATUSES = text("""
    UPDATE spt SET status = v.status, revision = spt.revision + 1, updated_at = now(),
                   filed_at = coalesce(v.filed_at, spt.filed_at)
    FROM unnest(CAST(:ids AS uuid[]), CAST(:statuses AS text[]), CAST(:filed_at AS timestamptz[]))
         AS v(id, status, filed_at)
    WHERE spt.id = v.id
    RETURNING spt.id, spt.revision""")
_DROP_PAYMENTS = text("""
    DELETE FROM spt_payment p USING unnest(CAST(:ids AS uuid[]), CAST(:kaps AS text[])) AS v(spt_id, kap_kjs)
    WHERE p.spt_id = v.spt_id AND p.kap_kjs = v.kap_kjs AND p.status <> 'paid'""")
_OUTBOX_COLUMNS = ("id", "topic", "key", "aggregate_type", "aggregate_id", "event_type", "event_version", "payload",
                   "headers")
_ADD_EVENTS = text(
    "INSERT INTO outbox (id, topic, key, aggregate_type, aggregate_id, event_type, event_version, payload, headers) "
    "SELECT * FROM unnest(CAST(:id AS uuid[]), CAST(:topic AS text[]), CAST(:key AS text[]), "
    "CAST(:aggregate_type AS text[]), CAST(:aggregate_id AS text[]), CAST(:event_type AS text[]), "
    "CAST(:event_version AS int[]), CAST(CAST(:payload AS text[]) AS jsonb[]), CAST(CAST(:headers AS text[]) AS jsonb[]))")

# Multi-row statements over arrays (unnest): compiled once and cached, whatever the number of rows (a VALUES list of
# 500 rows is compiled anew each time, 16,000 bind parameters).
_SUBMISSION_COLUMNS = tuple(c.name for c in spt_submission.c)
_SAVE_SUBMISSIONS = text("""
    INSERT INTO spt_submission AS s (spt_id, content, content_digest, signature, certificate_serial, credential_id,
                                     signer_account_id, submitted_at, outcome, amount_payable, overpayment, due_date,
                                     payable, previous_spt_id, tax_raise, shows_overpayment_or_loss)
    SELECT * FROM unnest(CAST(:spt_id AS uuid[]), CAST(:content AS text[]), CAST(:content_digest AS text[]),
                         CAST(:signature AS text[]), CAST(:certificate_serial AS text[]),
                         CAST(:credential_id AS uuid[]), CAST(:signer_account_id AS text[]),
                         CAST(:submitted_at AS timestamptz[]), CAST(:outcome AS text[]),
                         CAST(:amount_payable AS numeric[]), CAST(:overpayment AS numeric[]), CAST(:due_date AS date[]),
                         CAST(CAST(:payable AS text[]) AS jsonb[]), CAST(:previous_spt_id AS uuid[]),
                         CAST(:tax_raise AS numeric[]), CAST(:shows_overpayment_or_loss AS boolean[]))
    ON CONFLICT (spt_id) DO UPDATE SET
        content = excluded.content, content_digest = excluded.content_digest, signature = excluded.signature,
        certificate_serial = excluded.certificate_serial, credential_id = excluded.credential_id,
        signer_account_id = excluded.signer_account_id, submitted_at = excluded.submitted_at,
        outcome = excluded.outcome, amount_payable = excluded.amount_payable, overpayment = excluded.overpayment,
        due_date = excluded.due_date, payable = excluded.payable, previous_spt_id = excluded.previous_spt_id,
        tax_raise = excluded.tax_raise, shows_overpayment_or_loss = excluded.shows_overpayment_or_loss""")
_RECEIPT_COLUMNS = tuple(c.name for c in spt_receipt.c)
_ADD_RECEIPTS = text("""
    INSERT INTO spt_receipt (number, spt_id, npwp, form, period, spt_version, filed_at, issued_at, content_digest,
                             due_date, late, billing_code, ntpn, payment_date)
    SELECT * FROM unnest(CAST(:number AS text[]), CAST(:spt_id AS uuid[]), CAST(:npwp AS text[]),
                         CAST(:form AS text[]), CAST(:period AS text[]), CAST(:spt_version AS int[]),
                         CAST(:filed_at AS timestamptz[]), CAST(:issued_at AS timestamptz[]),
                         CAST(:content_digest AS text[]), CAST(:due_date AS date[]), CAST(:late AS boolean[]),
                         CAST(:billing_code AS text[]), CAST(:ntpn AS text[]), CAST(:payment_date AS date[]))""")
_REQUEST_COLUMNS = ("spt_id", "kap_kjs", "amount", "payment_due_date", "requested_at")
_REQUEST_PAYMENTS = text("""
    INSERT INTO spt_payment AS p (spt_id, kap_kjs, amount, status, payment_due_date, requested_at)
    SELECT v.spt_id, v.kap_kjs, v.amount, 'requested', v.payment_due_date, v.requested_at
    FROM unnest(CAST(:spt_id AS uuid[]), CAST(:kap_kjs AS text[]), CAST(:amount AS numeric[]),
                CAST(:payment_due_date AS date[]), CAST(:requested_at AS timestamptz[]))
         AS v(spt_id, kap_kjs, amount, payment_due_date, requested_at)
    ON CONFLICT (spt_id, kap_kjs) DO UPDATE SET
        amount = excluded.amount, status = 'requested', payment_due_date = excluded.payment_due_date,
        requested_at = excluded.requested_at, billing_code = NULL, updated_at = now()
    WHERE p.status <> 'paid'""")
