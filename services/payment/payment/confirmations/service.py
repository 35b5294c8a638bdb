"""Use cases of the bank-facing confirmations slice: inquire a code, confirm payments with an NTPN.

Confirmations are applied in batches, set-based: a bank's host-to-host file (`POST /v1/bank/payments/batch`), or the
single confirmations arriving together (`POST /v1/bank/payments`, gathered by `Confirmer`). A batch is one
transaction: its codes locked (one statement, in code order), each confirmation decided (`rules.decide`), then one
statement writes every new payment of a round with everything it changes: the code marked paid, its ledger posting
(recorded and settled at once, or the deposit topped up: postings that keep every limit on their own, so nothing is
locked or summed), `PaymentConfirmed`. A code from a bill settles its debt, one at a time inside a savepoint (the
debt locked, its liability locked and summed, `DebtSettled`), so a debt that refuses the payment refuses only that
confirmation; a top-up announces `DepositCredited`.

Each confirmation gets its own answer: the receipt with a new NTPN (`created`), the receipt of the same confirmation
answered before, or its refusal with a stable code, which changes nothing. The bank's reference is the idempotency
of a confirmation: the same confirmation again (later, in the same batch, or ten at once) finds its payment and
answers its NTPN; a refused one whose reference was confirmed before answers with that payment (or
`bank_reference_reused`). The transfer ids derive from bank and reference too, so the ledger's primary key is a
second guard."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts.payment import PaymentConfirmed
from kit.auth import Principal
from kit.db import UnitOfWork
from kit.errors import AppError
from kit.group_commit import GroupCall
from kit.logging import correlated, correlation_id
from kit.outbox import outbox_arrays, outbox_row
from payment.auth import READ, bank_id
from payment.billing.amount import amount_text, check_amount
from payment.billing.codes import validate_billing_code
from payment.billing.errors import BillingNotFound
from payment.billing.issuance import AGGREGATE
from payment.billing.kap_kjs import rule_for
from payment.billing.repository import BillingRepository
from payment.confirmations.errors import PaymentNotFound
from payment.confirmations.ntpn import new_ntpn, validate_ntpn
from payment.confirmations.pdf import bpn_verification_url, mask_npwp, render_bpn
from payment.confirmations.repository import CODE_COLUMNS, PaymentRepository
from payment.confirmations.rules import Checked, Code, Known, New, Refuse, Replay, decide, next_round, replayed
from payment.confirmations.schemas import BillingInquiry, PaymentReceipt, PaymentVerification
from payment.debts import service as debts
from payment.deposit import service as deposit
from payment.ledger import service as ledger
from payment.ledger.accounts import open_account
from payment.ledger.postings import payment_posting
from payment.ledger.repository import gated_postings_params
from payment.models import Payment
from payment.settings import BankSettings

NTPN_ATTEMPTS = 5
DEADLOCK_ATTEMPTS, DEADLOCK_DETECTED = 3, "40P01"
MAX_BATCH = 1_000  # confirmations in one host-to-host call, and in one transaction
IN_FLIGHT = 2  # batches of single calls in flight at once, per process (see billing.service.IN_FLIGHT)


@dataclass(frozen=True)
class ConfirmationRequest:
    """One confirmation as a bank sends it (amount and code as given: checked per confirmation)."""

    bank: str
    billing_code: str
    amount: str | int
    bank_reference: str
    paid_at: datetime
    correlation_id: str | None = None  # the call's: its events carry it, whatever batch applies it


@dataclass(frozen=True)
class Confirmation:
    receipt: PaymentReceipt
    created: bool  # False: the same confirmation was answered before, nothing changed


Outcome = Confirmation | AppError


async def inquire(uow: UnitOfWork, principal: Principal, code: str) -> BillingInquiry:
    code = validate_billing_code(code)
    async with uow:
        found = await BillingRepository(uow.session).get_with_taxpayer_name(code)
    if found is None:
        raise BillingNotFound(f"no billing code {code}")
    return BillingInquiry.of(*found, datetime.now(UTC))


class Confirmer:
    """The process's single confirmations, applied together: each call waits for the batch it joins (`IN_FLIGHT`
    batches run at once; the calls arriving meanwhile form the next, `kit.group_commit.GroupCall`)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], settings: BankSettings) -> None:
        self._calls: GroupCall[ConfirmationRequest, Outcome] = GroupCall(
            lambda requests: confirm_payments(UnitOfWork(sessions), requests, settings), max_batch=MAX_BATCH,
            concurrency=IN_FLIGHT, one_pass=True)

    async def confirm(self, request: ConfirmationRequest) -> Confirmation:
        """Its receipt, or its refusal raised."""
        return await self._calls.submit(request)  # type: ignore[return-value]  # refusals come back raised


def requests_of(principal: Principal, items: Sequence[Any]) -> list[ConfirmationRequest]:
    """The bank's confirmations (`PaymentConfirm` bodies) as requests: the bank is the token's client."""
    bank, cid = bank_id(principal), correlation_id.get()
    return [ConfirmationRequest(bank, item.billing_code, item.amount, item.bank_reference, item.paid_at, cid)
            for item in items]


async def confirm_payments(uow: UnitOfWork, requests: Sequence[ConfirmationRequest],
                           settings: BankSettings) -> list[Outcome]:
    """One outcome per request, in order, from one transaction (see the module's docstring)."""
    outcomes: list[Outcome | None] = [None] * len(requests)
    checked: list[tuple[int, Checked]] = []
    for index, request in enumerate(requests):
        try:
            checked.append((index, Checked(request.bank, validate_billing_code(request.billing_code),
                                           check_amount(request.amount), request.bank_reference, request.paid_at,
                                           request.correlation_id)))
        except AppError as refused:
            outcomes[index] = refused
    for attempt in range(1, DEADLOCK_ATTEMPTS + 1) if checked else ():
        try:
            async with uow:
                book = await _Book.locked(PaymentRepository(uow.session), sorted({c.code for _, c in checked}))
                pending = checked
                while pending:
                    this_round, pending = next_round(pending, book.codes)
                    for index, outcome in (await _apply(uow.session, book, this_round, settings)).items():
                        outcomes[index] = outcome
                await uow.commit()
            break
        except DBAPIError as exc:  # two batches opening the same new accounts in different rounds: start again
            if attempt == DEADLOCK_ATTEMPTS or getattr(exc.orig, "sqlstate", None) != DEADLOCK_DETECTED:
                raise
    assert all(o is not None for o in outcomes)
    return outcomes  # type: ignore[return-value]


class _Book:
    """The batch's codes as locked, and the payments known by bank reference, kept current as the batch writes."""

    def __init__(self, repo: PaymentRepository, codes: dict[str, Code]) -> None:
        self.repo, self.codes = repo, codes
        self.references: dict[tuple[str, str], Known] = {}

    @classmethod
    async def locked(cls, repo: PaymentRepository, codes: list[str]) -> _Book:
        rows = await repo.lock_codes(codes)
        found = {row.code: _code(row) for row in rows}
        missed = [code.id for code in found.values() if code.status == "paid" and code.payment is None]
        if missed:  # paid by a transaction this one waited for: read after the lock, with a new snapshot
            by_id = {code.id: code for code in found.values()}
            for row in await repo.payments_of(missed):
                code = by_id[row.id]
                found[code.code] = replace(code, payment=_known(row, code.kap, code.kjs, code.period,
                                                                code.assessment_number))
        book = cls(repo, found)
        for code in found.values():
            if code.payment is not None:
                book.references[(code.payment.bank_id, code.payment.bank_reference)] = code.payment
        return book

    async def look_up(self, references: set[tuple[str, str]]) -> None:
        """Learn the payments with these references that are not known yet (one statement)."""
        unknown = sorted(references - self.references.keys())
        if unknown:
            for row in await self.repo.by_references(unknown):
                self.references[(row.bank_id, row.bank_reference)] = _known(row, row.kap, row.kjs, row.period,
                                                                            row.assessment_number)

    def paid(self, code: Code, payment: Known) -> None:
        self.codes[code.code] = code.paid_by(payment)
        self.references[(payment.bank_id, payment.bank_reference)] = payment


async def _apply(session: AsyncSession, book: _Book, this_round: list[tuple[int, Checked]],
                 settings: BankSettings) -> dict[int, Outcome]:
    """Decide and write one round (confirmations sharing no code, reference, debt or deposit)."""
    now = datetime.now(UTC)
    skew = timedelta(seconds=settings.clock_skew_s)
    outcomes: dict[int, Outcome] = {}
    refused: list[tuple[int, Checked, AppError]] = []
    new: list[tuple[int, Checked, Code]] = []
    for index, request in this_round:
        verdict = decide(book.codes.get(request.code), request, now=now, clock_skew=skew)
        if isinstance(verdict, Replay):
            outcomes[index] = _answer(verdict.payment, request, created=False)
        elif isinstance(verdict, Refuse):
            refused.append((index, request, verdict.error))
        else:
            assert isinstance(verdict, New)
            new.append((index, request, verdict.code))
    if refused:  # a bank reference confirmed before is answered first, whatever else is wrong
        await book.look_up({(r.bank, r.reference) for _, r, _ in refused})
        for index, request, error in refused:
            known = book.references.get((request.bank, request.reference))
            outcomes[index] = error if known is None else _answer(known, request, created=False)
    plain = [n for n in new if n[2].debt_id is None]
    outcomes |= await _write(session, book, plain, now)
    for index, request, code in plain:  # a top-up: `DepositCredited`, its balance after it (one per taxpayer a round)
        paid = book.codes[code.code].payment
        if code.tops_up_deposit and isinstance(outcomes[index], Confirmation) and paid is not None:
            with correlated(request.correlation_id):
                await deposit.credited_in(session, npwp=code.npwp, amount=paid.amount, ntpn=paid.ntpn,
                                          payment_id=str(paid.id), deposited_at=paid.paid_at)
    bills = [n for n in new if n[2].debt_id is not None]
    locked = {debt_id: await debts.lock_for_payment(session, debt_id)  # in id order, after the codes
              for debt_id in sorted({code.debt_id for _, _, code in bills if code.debt_id is not None})}
    for index, request, code in bills:
        try:
            async with session.begin_nested():  # a debt that refuses the payment undoes only this one
                outcomes |= await _write(session, book, [(index, request, code)], now, settling=locked)
        except AppError as error:
            book.codes[code.code] = code  # unpaid after all
            outcomes[index] = error
    return outcomes


async def _write(session: AsyncSession, book: _Book, new: list[tuple[int, Checked, Code]], now: datetime, *,
                 settling: dict[uuid.UUID, Any] | None = None) -> dict[int, Outcome]:
    """The payments of `new` (one statement; again for those whose fresh NTPN was taken). A payment whose bank
    reference was used meanwhile for another code is refused. `settling`: the codes are from bills, and each
    payment settles its debt (locked, in `settling`): its posting locks and sums the debt's liability
    (`ledger.post_in`), then `debts.settle_in` (`DebtSettled`)."""
    outcomes: dict[int, Outcome] = {}
    todo = new
    for _ in range(NTPN_ATTEMPTS):
        if not todo:
            return outcomes
        payments = {index: _payment(request, code, now) for index, request, code in todo}
        postings, events = [], []
        for index, request, code in todo:
            paid = payments[index]
            if settling is None:  # records and settles, or tops up: within every limit on its own
                posting = _posting(paid, code, liability_recorded=False)
                postings.append((paid.id, [open_account(k) for k in posting.accounts],
                                 ledger.checked_within_limits(posting).created, paid.paid_at))
            with correlated(request.correlation_id):
                events.append((paid.id, _event(paid, code)))
        inserted = await book.repo.insert_confirmed(
            [_payment_row(payments[index], code) for index, _, code in todo], now, gated_postings_params(postings),
            outbox_arrays(events))
        for index, request, code in todo:
            paid = payments[index]
            if paid.id not in inserted:
                continue
            if settling is not None and code.debt_id is not None:
                await ledger.post_in(session, _posting(paid, code, liability_recorded=True), effective_at=paid.paid_at)
                with correlated(request.correlation_id):
                    await debts.settle_in(session, settling[code.debt_id], ntpn=paid.ntpn, paid_at=paid.paid_at)
            book.paid(code, paid)
            outcomes[index] = _answer(paid, request, created=True)
        lost = [(index, request, code) for index, request, code in todo if payments[index].id not in inserted]
        if lost:  # the reference taken meanwhile (by another code: every code here is locked), or the NTPN drawn
            await book.look_up({(r.bank, r.reference) for _, r, _ in lost})
        todo = []
        for index, request, code in lost:
            known = book.references.get((request.bank, request.reference))
            if known is None:
                todo.append((index, request, code))  # the NTPN: draw again
            else:
                outcomes[index] = _answer(known, request, created=False)
    if todo:
        raise RuntimeError(f"no free NTPN in {NTPN_ATTEMPTS} draws")  # 82 random bits: never in practice
    return outcomes


def _payment(request: Checked, code: Code, now: datetime) -> Known:
    return Known(id=uuid.uuid4(), ntpn=new_ntpn(), billing_code=code.code, npwp=code.npwp, bank_id=request.bank,
                 bank_reference=request.reference, amount=code.amount, paid_at=request.paid_at, confirmed_at=now,
                 kap_kjs=code.kap_kjs, period=code.period, assessment_number=code.assessment_number)


def _payment_row(paid: Known, code: Code) -> dict[str, Any]:
    return dict(id=paid.id, ntpn=paid.ntpn, billing_id=code.id, bank_id=paid.bank_id,
                bank_reference=paid.bank_reference, paid_at=paid.paid_at)


def _posting(paid: Known, code: Code, *, liability_recorded: bool) -> Any:
    return payment_posting(bank_id=paid.bank_id, bank_reference=paid.bank_reference, npwp=code.npwp,
                           kap_kjs=code.kap_kjs, period=code.period, assessment_number=code.assessment_number,
                           amount=code.amount, ntpn=paid.ntpn, liability_recorded=liability_recorded)


def _event(paid: Known, code: Code) -> dict[str, Any]:
    return outbox_row(PaymentConfirmed(
        payment_id=str(paid.id), ntpn=paid.ntpn, billing_id=str(code.id), billing_code=code.code, npwp=code.npwp,
        kap_kjs=code.kap_kjs, period=code.period, assessment_number=code.assessment_number,
        amount=amount_text(paid.amount), paid_at=paid.paid_at, bank_code=paid.bank_id,
        bank_reference=paid.bank_reference, settles=code.settles,  # type: ignore[arg-type]
        spt_id=code.spt_id, debt_id=str(code.debt_id) if code.debt_id else None, confirmed_at=paid.confirmed_at,
    ), key=code.npwp, subject=str(code.id), aggregate_type=AGGREGATE, sequence=code.version + 1)


def _answer(known: Known, request: Checked, *, created: bool) -> Outcome:
    """The receipt of `known` for `request`, unless `request` says something else under the same reference."""
    refused = None if created else replayed(known, request)
    if refused is not None:
        return refused
    return Confirmation(PaymentReceipt(
        payment_id=known.id, ntpn=known.ntpn, billing_code=known.billing_code, npwp=known.npwp,
        kap_kjs=known.kap_kjs, period=known.period, assessment_number=known.assessment_number,
        amount=amount_text(known.amount), bank_reference=known.bank_reference, paid_at=known.paid_at,
        confirmed_at=known.confirmed_at), created)


def _code(row: Any) -> Code:
    payment = None if row.payment_id is None else _known(row, row.kap, row.kjs, row.period, row.assessment_number)
    return Code(*row[:len(CODE_COLUMNS)], payment=payment)


def _known(row: Any, kap: str, kjs: str, period: str | None, assessment_number: str | None) -> Known:
    return Known(id=row.payment_id, ntpn=row.ntpn, billing_code=row.paid_code, npwp=row.paid_npwp,
                 bank_id=row.bank_id, bank_reference=row.bank_reference, amount=Decimal(row.paid_amount),
                 paid_at=row.payment_paid_at, confirmed_at=row.confirmed_at, kap_kjs=f"{kap}-{kjs}", period=period,
                 assessment_number=assessment_number)


async def bpn_for_taxpayer(uow: UnitOfWork, principal: Principal, ntpn: str, public_url: str) -> tuple[str, bytes]:
    """The BPN of one of the caller's taxpayers' payments: (file name, PDF). Another taxpayer's is not found."""
    principal.require(READ)
    return await _bpn(uow, ntpn, public_url, lambda p: p.npwp in principal.taxpayer_ids)


async def bpn_for_bank(uow: UnitOfWork, principal: Principal, ntpn: str, public_url: str) -> tuple[str, bytes]:
    """The BPN of a payment this bank confirmed: (file name, PDF). Another bank's is not found."""
    bank = bank_id(principal)
    return await _bpn(uow, ntpn, public_url, lambda p: p.bank_id == bank)


async def _bpn(uow: UnitOfWork, ntpn: str, public_url: str, allowed: Callable[[Payment], bool]) -> tuple[str, bytes]:
    ntpn = validate_ntpn(ntpn)
    async with uow:
        found = await PaymentRepository(uow.session).by_ntpn(ntpn)
    if found is None or not allowed(found[0]):
        raise PaymentNotFound(f"no payment {ntpn} for this caller")
    payment, billing, name = found
    rule = rule_for(billing.kap_kjs)
    pdf = render_bpn(ntpn=payment.ntpn, billing_code=payment.billing_code, npwp=payment.npwp, name=name,
                     kap_kjs=billing.kap_kjs, kap_name=rule.kap_name, kjs_name=rule.kjs_name, period=billing.period,
                     assessment_number=billing.assessment_number, amount=payment.amount, paid_at=payment.paid_at,
                     bank=payment.bank_id, bank_reference=payment.bank_reference, confirmed_at=payment.confirmed_at,
                     url=bpn_verification_url(public_url, payment.ntpn))
    return f"BPN-{payment.ntpn}.pdf", pdf


async def verification(uow: UnitOfWork, ntpn: str) -> PaymentVerification:
    """The public check behind the BPN's QR code (no token): the NPWP masked, no name, no bank reference."""
    ntpn = validate_ntpn(ntpn)
    async with uow:
        found = await PaymentRepository(uow.session).by_ntpn(ntpn)
    if found is None:
        raise PaymentNotFound(f"no payment {ntpn}")
    payment, billing, _ = found
    return PaymentVerification.of(payment, billing, mask_npwp(payment.npwp))
