"""Use cases of the debts slice: a debt recorded from filing's STP or SKP (consumer steps, in the consumer's
transaction), the taxpayer's debts, a billing code made from a debt, the debt settled by the payment of that code
(a step inside the confirmation's transaction), and the legacy import with its reconciliation report. An annual
SPT's PPh 29 becomes a debt when DJP grants its payment in instalments (`recording.record_pph29_in`, a step of that
decision in the instalments slice).

A debt is recorded once: the source's reference is unique per source (a redelivered event or a file imported twice
records nothing new) and an STP/SKP number once per taxpayer and KAP-KJS. Recording it posts its liability to the
ledger and publishes `DebtRecorded`, in the same transaction. A debt has at most one payable code at a time; the
code pays the whole debt, and its confirmation settles it (`DebtSettled`).

Lock order, everywhere: the billing code, then the debt (a confirmation locks the code it pays, then its debt; making
a debt's code locks the debt's open code, then the debt), so the two never wait on each other in a circle.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import queue
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import IO, Any

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.envelope import Envelope
from contracts.filing import SKPIssued, STPIssued
from contracts.payment import DebtInterestAccrued, DebtRecorded, DebtSettled
from kit.auth import Principal, acting_taxpayer
from kit.db import UnitOfWork
from kit.outbox import outbox_row, publish
from kit.pagination import CursorParams, encode_cursor
from payment.auth import READ, WRITE
from payment.billing import issuance as billing
from payment.billing.amount import amount_text, check_amount
from payment.billing.kap_kjs import BillingSubject
from payment.billing.repository import BillingRepository
from payment.billing.schemas import BillingRead
from payment.debts.errors import (
    AmountNotOutstanding,
    AssessmentAlreadyRecorded,
    DebtAlreadySettled,
    DebtInInstalments,
    DebtNotFound,
    InterestRateUnknown,
    LegacyImportNotFound,
)
from payment.debts.interest import MAX_INTEREST_MONTHS, add_months, interest, monthly_rate, months_counted
from payment.debts.legacy import LegacyDebtRow, LegacyFile, Reconciliation, Rejection
from payment.debts.recording import AGGREGATE, ONE_DAY, WIB, NewDebt, record_in
from payment.debts.repository import REFERENCE_CONFLICT, STAGED_RECORDINGS, DebtRepository
from payment.debts.rules import SKP_KINDS, debt_subject, due_date_for
from payment.debts.schemas import DebtPage, DebtRead, LegacyImportReport
from payment.instalments import service as instalments
from payment.ledger import service as ledger
from payment.ledger.accounts import account_id, liability_account_id_hex, state_revenue_key
from payment.ledger.ids import time_ordered_id
from payment.ledger.postings import debt_key
from payment.ledger.rules import transfer_id_hex
from payment.models import Debt, LegacyDebtImport
from payment.reference.rates import month_of, rates_now
from payment.reference.repository import ReferenceRepository
from payment.settings import LegacyImportSettings

log = logging.getLogger(__name__)
INTEREST_TIER = 1  # Art 19(1): an assessment not paid on time


# -- from filing's events ------------------------------------------------------------------------------------------
async def record_from_stp(session: AsyncSession, envelope: Envelope, event: STPIssued) -> None:
    """Consumer step for `STPIssued`: the STP's debt, keyed by its number. A KAP-KJS or amount the rules refuse
    raises, so the event goes to the dead letters with the reason."""
    subject = debt_subject(event.kap_kjs, period=event.period, assessment_number=event.stp_number)
    await _record_once(session, NewDebt(
        npwp=event.npwp, kind="stp", subject=subject, period=event.period, amount=check_amount(event.amount),
        issued_on=event.issued_on, due_date=event.due_date, source="stp", source_reference=event.stp_id,
    ), causation_id=str(envelope.id))


async def record_from_skp(session: AsyncSession, envelope: Envelope, event: SKPIssued) -> None:
    """Consumer step for `SKPIssued`: an SKPKB or SKPKBT with something to pay is a debt, due when the event says
    (1 month after issue when it does not). An SKPLB or SKPN leaves nothing to pay."""
    kind = SKP_KINDS.get(event.kind)
    if kind is None or event.kap_kjs is None or Decimal(event.total) <= 0:
        log.info("SKP leaves nothing to pay", extra={"skp_id": event.skp_id, "kind": event.kind})
        return
    subject = debt_subject(event.kap_kjs, period=event.period, assessment_number=event.skp_number)
    await _record_once(session, NewDebt(
        npwp=event.npwp, kind=kind, subject=subject, period=event.period, amount=check_amount(event.total),
        issued_on=event.issued_on, due_date=event.due_date or due_date_for(event.issued_on), source="skp",
        source_reference=event.skp_id,
    ), causation_id=str(envelope.id))


async def _record_once(session: AsyncSession, new: NewDebt, *, causation_id: str) -> None:
    if await record_in(session, new, causation_id=causation_id) is not None:
        return
    repo = DebtRepository(session)
    if await repo.by_source(new.source, new.source_reference) is not None:
        log.info("debt already recorded", extra={"source": new.source, "reference": new.source_reference})
        return
    rule = new.subject.rule
    other = await repo.by_assessment(new.npwp, rule.kap, rule.kjs, new.subject.assessment_number or "")
    raise AssessmentAlreadyRecorded(
        f"{rule.kap_kjs} {new.subject.assessment_number} is already a debt of {new.npwp}",
        debt_id=str(other.id) if other else None)


# -- the taxpayer's debts ------------------------------------------------------------------------------------------
async def list_debts(uow: UnitOfWork, principal: Principal, params: CursorParams, *, npwp: str | None,
                     status: str | None) -> DebtPage:
    principal.require(READ)
    npwp = acting_taxpayer(principal, npwp)
    async with uow:
        page, more = await DebtRepository(uow.session).page(npwp, params, status)
    now = datetime.now(UTC)
    last = page[-1][0] if page else None
    return DebtPage(npwp=npwp, items=[DebtRead.of(debt, code, now) for debt, code in page],
                    next_cursor=encode_cursor(last.recorded_at, last.id) if more and last else None)


async def get_debt(uow: UnitOfWork, principal: Principal, debt_id: uuid.UUID) -> DebtRead:
    principal.require(READ)
    async with uow:
        found = await DebtRepository(uow.session).get(debt_id)
    if found is None or found[0].npwp not in principal.taxpayer_ids:
        raise DebtNotFound(f"no debt {debt_id} for the taxpayers of this token")
    return DebtRead.of(*found, datetime.now(UTC))


async def create_debt_billing(uow: UnitOfWork, principal: Principal, debt_id: uuid.UUID) -> BillingRead:
    """The debt's billing code, for what it still owes: a new one, or the one still payable (a debt has one payable
    code at a time, so it can never be paid twice). A code past its expiry that the worker has not reached yet is
    expired here first (`BillingExpired`). A debt paid in instalments is paid with each instalment's code."""
    principal.require(WRITE)
    async with uow:
        read = await _payable_code(uow.session, principal, debt_id)
        await uow.commit()
    return read


async def code_for_named_debt(uow: UnitOfWork, principal: Principal, *, npwp: str, subject: BillingSubject,
                              amount: Decimal) -> BillingRead | None:
    """A self-assessed code whose KAP-KJS and STP/SKP number name a debt of the taxpayer: the debt's own code
    (origin `bill`), so its payment settles the debt. None when no debt has that number (an ordinary mandiri code).
    The amount must be what the debt still owes: a code pays a debt whole, never twice."""
    async with uow:
        named = await DebtRepository(uow.session).by_assessment(npwp, subject.rule.kap, subject.rule.kjs,
                                                                subject.assessment_number or "")
        if named is None:
            return None
        read = await _payable_code(uow.session, principal, named.id, amount=amount)
        await uow.commit()
    return read


async def _payable_code(s: AsyncSession, principal: Principal, debt_id: uuid.UUID, *,
                        amount: Decimal | None = None) -> BillingRead:
    codes = BillingRepository(s)
    locked = await codes.open_for_debt(debt_id, lock=True)
    debt = await DebtRepository(s).get_for_update(debt_id)
    if debt is None or debt.npwp not in principal.taxpayer_ids:
        raise DebtNotFound(f"no debt {debt_id} for the taxpayers of this token")
    if debt.status == "settled":
        raise DebtAlreadySettled(f"debt {debt_id} is paid", ntpn=debt.ntpn)
    arrangement = await instalments.granted_for(s, debt.id)
    if arrangement is not None:
        raise DebtInInstalments(f"debt {debt_id} is paid in instalments: pay each instalment's code",
                                arrangement_id=str(arrangement.id))
    if amount is not None and amount != debt.outstanding:
        raise AmountNotOutstanding(f"debt {debt.id} ({debt.kap_kjs} {debt.assessment_number}) owes "
                                   f"{amount_text(debt.outstanding)}", debt_id=str(debt.id),
                                   outstanding=amount_text(debt.outstanding))
    now = datetime.now(UTC)
    # A code made meanwhile by a concurrent request (committed once we held the debt) is fresh: not expired.
    current = locked or await codes.open_for_debt(debt_id)
    if current is not None and current.status == "paid":  # its confirmation settled the debt: not reached
        raise DebtAlreadySettled(f"debt {debt_id} is paid", ntpn=debt.ntpn)
    if current is not None and (current is not locked or now < current.expires_at):
        return BillingRead.of(current, None, now)
    if current is not None:
        await billing.expire_in(s, current, now)
    subject = debt_subject(debt.kap_kjs, period=debt.period, assessment_number=debt.assessment_number)
    code = await billing.issue(s, npwp=debt.npwp, subject=subject, amount=debt.outstanding, origin="bill",
                               debt_id=debt.id, created_by=principal.acting_person)
    return BillingRead.of(code, None, code.created_at)


# -- settled by a payment (steps inside the confirmation's transaction) --------------------------------------------
async def lock_for_payment(session: AsyncSession, debt_id: uuid.UUID) -> Debt:
    """The debt a code from a bill pays, locked (after its code: see the lock order above)."""
    debt = await DebtRepository(session).get_for_update(debt_id)
    if debt is None:  # billing.debt_id is a foreign key
        raise RuntimeError(f"billing code names debt {debt_id}, which does not exist")
    return debt


async def settle_in(session: AsyncSession, debt: Debt, *, ntpn: str, paid_at: datetime) -> None:
    """The payment `ntpn` (inserted already in this transaction) pays the debt: what it still owed (a code for the
    whole debt), or one instalment (the code's `instalment_number`). Once nothing is owed: settled, `DebtSettled`."""
    if debt.status == "settled":
        raise DebtAlreadySettled(f"debt {debt.id} is paid", ntpn=debt.ntpn)
    repo = DebtRepository(session)
    amount, instalment_number = await repo.paid_by(ntpn)
    if instalment_number is not None:
        await instalments.paid_in(session, debt, instalment_number, ntpn=ntpn, paid_at=paid_at)
    await _reduce_in(session, debt, amount, paid_at=paid_at, ntpn=ntpn)


async def settle_by_allocation_in(session: AsyncSession, debt: Debt, *, allocation_id: str,
                                  deemed_paid_at: datetime) -> None:
    """The deposit paid what the debt still owed (the debt locked by the caller); the deposit date counts as the
    payment date (tax-rules §4.4)."""
    await _reduce_in(session, debt, debt.outstanding, paid_at=deemed_paid_at, allocation_id=allocation_id)


async def _reduce_in(session: AsyncSession, debt: Debt, amount: Decimal, *, paid_at: datetime,
                     ntpn: str | None = None, allocation_id: str | None = None) -> None:
    if amount > debt.outstanding:  # the ledger refused this already (a liability is never paid beyond its debits)
        raise RuntimeError(f"debt {debt.id} owes {debt.outstanding}, not {amount}")
    repo = DebtRepository(session)
    debt.outstanding -= amount
    if debt.outstanding > 0:
        await repo.flush()
        return
    ntpns = await repo.ntpns_for(debt.id)
    await repo.mark_settled(debt, settled_at=paid_at, ntpn=ntpn)
    await publish(session, DebtSettled(
        debt_id=str(debt.id), npwp=debt.npwp, kap_kjs=debt.kap_kjs, assessment_number=debt.assessment_number,
        period=debt.period, amount=amount_text(debt.amount), ntpns=ntpns,
        allocation_ids=[allocation_id] if allocation_id else [], settled_at=paid_at,
    ), key=debt.npwp, subject=str(debt.id), aggregate_type=AGGREGATE, sequence=debt.version)


# -- Art 19 interest on unpaid debts (a worker step) ---------------------------------------------------------------
WAITING_BATCH = 10_000  # debts set waiting per statement (a legacy import's debts due before the table, at once)


async def accrue_debt_interest(uow: UnitOfWork, *, batch: int, today: date | None = None,
                               waiting_batch: int = WAITING_BATCH) -> int:
    """Up to `batch` open debts for which another month of Art 19 interest (tier 1) counts by `today`: the total to
    date reported to filing (`DebtInterestAccrued`, the debt's version as `sequence`), in one transaction. A part
    month counts in full, at most 24 months. Returns how many debts it took; the caller repeats while a full batch
    came back. Interest is not booked in the ledger: filing bills it (an STP), which comes back as a debt.

    A debt whose interest starts in a month without a KMK rate waits for that month (`interest_waiting_month`, and
    no pass claims it) until filing's officers publish it (`rates_published_in` re-arms it); then the interest to
    date is reported at that month's rate. When a batch has such debts, up to `waiting_batch` more debts due in
    months without a rate are set waiting in one statement, so a legacy import's debts due before the table starts
    wait after a few statements instead of one row at a time."""
    today = today or datetime.now(WIB).date()
    waiting: Counter[date] = Counter()
    async with uow:
        s = uow.session
        repo = DebtRepository(s)
        taken = await repo.claim_interest_due(today, batch)
        rates = {debt.id: _held_rate(debt.interest_from) for debt in taken}
        if None in rates.values():
            # This process holds no rate for some month: ask the database, under the lock a publication takes, so
            # a debt waits only for a month not published yet (whose publication will then re-arm it).
            references = ReferenceRepository(s)
            await references.lock_rate_months(shared=True)
            known = rates_now(INTEREST_TIER, await references.published_rates(INTEREST_TIER))
            rates = {debt.id: known.get(month_of(debt.interest_from)) for debt in taken}
            waiting.update(await repo.wait_for_rates(today, months_with_rate=list(known),
                                                     besides=[debt.id for debt in taken], limit=waiting_batch))
        for debt in taken:
            rate = rates[debt.id]
            if rate is None:
                debt.interest_waiting_month, debt.interest_next_on = month_of(debt.interest_from), None
                waiting[debt.interest_waiting_month] += 1
            else:
                await _accrue_in(s, debt, today, rate)
        await uow.commit()
    if waiting:
        months = [f"{month:%Y-%m} ({count})" for month, count in sorted(waiting.items())]
        if len(months) > 12:  # a legacy import's years of months: the line stays short
            months[6:-6] = [f"... {len(months) - 12} more months ..."]
        log.info("Art 19 interest of %d debts waits for the KMK rates of their month: %s", waiting.total(),
                 ", ".join(months))
    return len(taken)


def _held_rate(interest_from: date) -> Decimal | None:
    """The tier-1 rate of the month interest starts in, as this process holds the KMK months (None: not held)."""
    try:
        return monthly_rate(INTEREST_TIER, interest_from)
    except InterestRateUnknown:
        return None


async def _accrue_in(session: AsyncSession, debt: Debt, today: date, rate: Decimal) -> None:
    months = months_counted(debt.interest_from, today)
    debt.interest_waiting_month = None
    debt.interest_next_on = (None if months >= MAX_INTEREST_MONTHS
                             else add_months(debt.interest_from, months) + ONE_DAY)
    if months <= debt.interest_months:
        return
    amount = interest(debt.interest_principal, rate, months)
    debt.interest_months, debt.interest_accrued, debt.version = months, amount, debt.version + 1
    await publish(session, DebtInterestAccrued(
        debt_id=str(debt.id), npwp=debt.npwp, kap_kjs=debt.kap_kjs, assessment_number=debt.assessment_number,
        period=debt.period, principal=amount_text(debt.interest_principal), interest_from=debt.interest_from,
        as_of=today, months=months, monthly_rate_percent=f"{rate:f}", interest=amount_text(amount),
    ), key=debt.npwp, subject=str(debt.id), aggregate_type=AGGREGATE, sequence=debt.version)


async def rates_published_in(session: AsyncSession, month: date) -> int:
    """Step of the consumer that keeps a month's KMK rates (`reference.service.rates_published`, in its transaction,
    under the exclusive lock of the rate months): the debts waiting for `month` are due again, so the next pass
    reports their interest to date. One statement, however many debts wait. Returns how many are due again."""
    return await DebtRepository(session).rearm_waiting(month)


# -- the legacy import ---------------------------------------------------------------------------------------------
async def import_legacy_debts(uow: UnitOfWork, principal: Principal, content: bytes | IO[bytes],
                              settings: LegacyImportSettings, *, digest: str | None = None) -> LegacyImportReport:
    """One legacy file, in one transaction: every row checked (`legacy.ROW_CODES`), the good ones recorded as debts
    (with their ledger recordings and `DebtRecorded`) unless an earlier import recorded them, and the reconciliation
    report stored with the import. A file whose header is wrong is refused whole, and nothing is written.

    `content` is the file, or a binary file object read as it goes (with `digest`, its SHA-256). A thread checks
    the rows a batch at a time (`settings.batch`, a few batches ahead at most), while this COPYs them to a staging
    table and, every `settings.chunk` rows, writes the staged rows in a few set-based statements (debts, ledger
    recordings, `DebtRecorded`, what became of each row): PostgreSQL writes one chunk while the next is checked."""
    if isinstance(content, bytes):
        digest = hashlib.sha256(content).hexdigest()
    elif digest is None:
        raise ValueError("a file object comes with its digest")
    reconciliation = Reconciliation(listed_rejections_max=settings.listed_rejections)
    rows = iter(LegacyFile(content, reconciliation))  # the header is read here: a bad one writes nothing
    import_id, created_at = uuid.uuid4(), datetime.now(UTC)
    found = _Found()
    async with uow:
        repo = DebtRepository(uow.session)
        await repo.add_import(LegacyDebtImport(id=import_id, file_digest=digest, rows=0, imported=0,
                                               created_by=principal.acting_person, created_at=created_at, report={}))
        raw = await repo.create_stage(statement_timeout_s=settings.statement_timeout_s)

        async def write_staged() -> None:
            if await repo.insert_staged(import_id, created_at):
                await ledger.record_liabilities_from(uow.session, STAGED_RECORDINGS)
            await _find_staged(repo, found, settings.listed_rejections)
            await repo.clear_stage()

        async with repo.long_statements(raw, settings.statement_timeout_s):
            staged = 0
            async with _Checker(rows, reconciliation, settings) as checked:
                async for records in checked:
                    await repo.stage(raw, records)
                    staged += len(records)
                    if staged >= settings.chunk:
                        await write_staged()
                        staged = 0
            if staged:
                await write_staged()
            found.count_in(reconciliation)  # the checking thread is done with the reconciliation
            imported = reconciliation.outcomes["imported"].rows
            report = LegacyImportReport.of(import_id, digest, created_at, reconciliation)
            template = outbox_row(_recorded_template(created_at), key="-", subject="-", aggregate_type=AGGREGATE,
                                  sequence=1)
            await repo.finish_import(import_id, rows=reconciliation.file.rows, imported=imported,
                                     report=report.model_dump(mode="json"),
                                     events_template={k: template[k] for k in ("payload", "headers", "topic")},
                                     events_done_at=None if imported else created_at)
            await uow.commit()
    log.info("legacy debts imported", extra={"import_id": str(import_id), "rows": report.file.rows,
                                             "imported": report.imported.rows, "rejected": report.rejected.rows})
    return report


_DONE = object()


class _Checker:
    """The rows checked in a thread, as batches of staging records, at most a chunk ahead of their COPY (memory
    stays bounded whatever the file's size). Until the thread ends, only it touches the reconciliation."""

    def __init__(self, rows: Iterator[LegacyDebtRow | Rejection], reconciliation: Reconciliation,
                 settings: LegacyImportSettings) -> None:
        self.rows, self.reconciliation, self.batch = rows, reconciliation, settings.batch
        self.queue: queue.Queue[object] = queue.Queue(maxsize=max(settings.chunk // settings.batch, 1))
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="legacy-import-check", daemon=True)

    def _run(self) -> None:
        revenues: dict[str, uuid.UUID] = {}
        try:
            while not self.stop.is_set():
                records = _staged_records(self.rows, self.reconciliation, revenues, self.batch)
                if not records:
                    break
                self._put(records)
            self._put(_DONE)
        except BaseException as exc:  # noqa: BLE001 (raised again by the reader, in the event loop)
            self._put(exc)

    def _put(self, item: object) -> None:
        while not self.stop.is_set():
            try:
                self.queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def _get(self) -> object:
        while not self.stop.is_set():  # not blocked for good should the reader be cancelled meanwhile
            try:
                return self.queue.get(timeout=0.1)
            except queue.Empty:
                continue
        return _DONE

    async def __aenter__(self) -> _Checker:
        self.thread.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.stop.set()  # the writes failed, or all is read: the thread ends at its next batch
        await asyncio.to_thread(self.thread.join)

    def __aiter__(self) -> _Checker:
        return self

    async def __anext__(self) -> list[tuple[object, ...]]:
        try:
            item = self.queue.get_nowait()
        except queue.Empty:
            item = await asyncio.to_thread(self._get)
        if item is _DONE:
            raise StopAsyncIteration
        if isinstance(item, BaseException):
            raise item
        return item  # type: ignore[return-value]


def _staged_records(rows: Iterator[LegacyDebtRow | Rejection], reconciliation: Reconciliation,
                    revenues: dict[str, uuid.UUID], batch: int) -> list[tuple[object, ...]]:
    """The next `batch` good rows as staging records (`repository.STAGE_COLUMNS`), with the ids their debt, its
    recording and its accounts will have (as text: `ledger.ids`) and the amount as an integer (whole rupiah, checked:
    the driver encodes it faster than a Decimal); rejections on the way are counted."""
    records: list[tuple[object, ...]] = []
    for row in rows:
        if isinstance(row, Rejection):
            reconciliation.reject(row)
            continue
        rule, subject, debt_id = row.subject.rule, row.subject, time_ordered_id()
        revenue = revenues.get(rule.kap_kjs)
        if revenue is None:
            revenue = revenues[rule.kap_kjs] = account_id(state_revenue_key(rule.kap_kjs))
        records.append((row.line, debt_id, transfer_id_hex(debt_key(debt_id)),
                        liability_account_id_hex(row.npwp, rule.kap_kjs, subject.period, subject.assessment_number),
                        revenue, row.npwp, row.kind, rule.kap, rule.kjs, subject.period,
                        subject.assessment_number, int(row.amount), row.issued_on, row.due_date, row.reference))
        if len(records) >= batch:
            break
    return records


def _recorded_template(recorded_at: datetime) -> DebtRecorded:
    """A `DebtRecorded` whose envelope the import's events share (each gets its debt's facts and its own id)."""
    return DebtRecorded(debt_id="-", npwp="0" * 16, kind="stp", kap_kjs="411211-300", amount="1",
                        issued_on=recorded_at.date(), due_date=recorded_at.date(), legacy=True,
                        recorded_at=recorded_at)


@dataclass
class _Found:
    """What the database found for the staged rows, chunk after chunk: (outcome or rejection code, KAP-KJS) ->
    rows and amount, and the first rejected rows (at most what a report lists)."""

    counts: dict[tuple[str, str], list[Any]] = field(default_factory=dict)
    rejections: list[Rejection] = field(default_factory=list)

    def count_in(self, reconciliation: Reconciliation) -> None:
        for (outcome, kap_kjs), (count, amount) in self.counts.items():
            if outcome in ("imported", "already_imported"):
                reconciliation.add(outcome, kap_kjs, count, amount)  # type: ignore[arg-type]
            else:
                reconciliation.add("rejected", kap_kjs, count, amount, code=outcome)
        reconciliation.list_first(self.rejections)


async def _find_staged(repo: DebtRepository, found: _Found, listed: int) -> None:
    """The outcomes of the staged rows, from the database: counted per KAP-KJS, the first rejected ones kept."""
    await repo.classify_staged()
    for outcome, kap, kjs, count, amount in await repo.staged_outcomes():
        tally = found.counts.setdefault((outcome, f"{kap}-{kjs}"), [0, Decimal(0)])
        tally[0] += count
        tally[1] += amount
    for r in await repo.staged_rejections(listed - len(found.rejections)):
        kap_kjs = f"{r.kap}-{r.kjs}"
        detail = (f"legacy_reference {r.reference!r} was imported with other contents (debt {r.debt_id})"
                  if r.outcome == REFERENCE_CONFLICT else
                  f"{kap_kjs} {r.assessment_number} is already a debt of {r.npwp}")
        found.rejections.append(Rejection(r.line, r.reference, kap_kjs, Decimal(r.amount), r.outcome, detail))


async def get_legacy_import(uow: UnitOfWork, import_id: uuid.UUID) -> LegacyImportReport:
    """The import's report, with how many of its `DebtRecorded` events are written so far."""
    async with uow:
        record = await DebtRepository(uow.session).get_import(import_id)
    if record is None:
        raise LegacyImportNotFound(f"no legacy debt import {import_id}")
    return LegacyImportReport.model_validate(record.report).model_copy(update={
        "events_written": record.events_written, "events_complete": record.events_done_at is not None})


_NO_DEBT_YET = uuid.UUID(int=0)  # every debt id sorts after it


async def write_imported_debt_events(uow: UnitOfWork, *, batch: int) -> int:
    """The `DebtRecorded` events of the oldest import whose events are not all written: the next `batch` of its
    debts (in id order), in one transaction with how far it got, so a worker stopped at any point resumes where the
    last commit left off and writes every event exactly once. Returns how many it wrote (0: nothing was due).

    An import commits its debts, their ledger recordings and its report without their events: a million outbox rows
    would double the time the officer waits, and a debt is payable at once either way. The worker writes them
    right after (`worker.run_legacy_debt_events`); a debt paid in that window may see its `DebtSettled` published
    before its `DebtRecorded`."""
    async with uow:
        repo = DebtRepository(uow.session)
        record = await repo.claim_import_with_events_due()
        if record is None or record.events_template is None:
            return 0
        written, last = await repo.add_recorded_events(record.id, after=record.events_after or _NO_DEBT_YET,
                                                       limit=batch, template=record.events_template,
                                                       aggregate_type=AGGREGATE)
        await repo.events_written(record, written=written, last=last,
                                  done_at=datetime.now(UTC) if written < batch else None)
        await uow.commit()
    if written < batch:
        log.info("legacy import's DebtRecorded events written", extra={
            "import_id": str(record.id), "events": record.events_written})
    return written
