"""Use cases of the ledger: post (a step inside another use case's transaction, never committing), the taxpayer's
Buku Besar, and the invariant check over the whole ledger.

Balances are not stored: an account's totals are the sums of its transfers. Posting reads them only for the accounts
whose flags limit a balance (a liability, a deposit), locked for the posting; the bank and revenue accounts carry no
limit, so nothing in a posting depends on their totals and they are never locked (every payment touches them)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from kit.auth import Principal, acting_taxpayer
from kit.db import UnitOfWork
from kit.pagination import CursorParams, encode_cursor
from payment.auth import READ
from payment.billing.amount import amount_text
from payment.ledger.accounts import IDR_LEDGER, KIND_RULES, AccountFlag, AccountKind, open_account
from payment.ledger.errors import AmountInvalid
from payment.ledger.postings import Posting
from payment.ledger.repository import LedgerRepository
from payment.ledger.rules import ALLOWED_ACCOUNTS, PostingResult, TransferCode, post
from payment.ledger.schemas import LedgerLine, LedgerRead

ZERO = Decimal(0)
# Transfers that settle a bank payment: exactly one per payment, for its amount.
SETTLING_CODES = (TransferCode.PAYMENT_APPLIED, TransferCode.DEPOSIT_TOPPED_UP)


async def post_in(session: AsyncSession, posting: Posting, *, effective_at: datetime) -> PostingResult:
    """Apply `posting` in the caller's transaction: open its accounts, lock and total the limited ones, check the
    posting with the pure rules (all or nothing; identical transfers already posted change nothing) and insert its
    transfers."""
    return await post_all_in(session, [(posting, effective_at)])


def checked_within_limits(posting: Posting) -> PostingResult:
    """A posting with new transfer ids checked by the pure rules against zero totals, for a set-based write that
    locks and sums nothing (`repository.gated_postings_sql`). That is enough when the posting keeps every limit from
    zero: every limit bounds debits minus credits of an account and the stored totals keep it, so a posting that
    keeps it from zero keeps it from any allowed total, whatever commits beside it (a payment that records and
    settles a liability in one posting, a deposit top-up). Raises what the rules refuse: `ExceedsCredits` /
    `ExceedsDebits` for a posting that needs `post_in`, which locks and sums (one settling a recorded debt). The ids
    derive from the payment's bank reference, whose row is inserted in the same statement: the transfers' primary
    key refuses a second posting all the same."""
    accounts = {a.id: a for a in (open_account(key) for key in posting.accounts)}
    return post(accounts, posting.transfers, existing={})


async def post_all_in(session: AsyncSession, postings: Sequence[tuple[Posting, datetime]]) -> PostingResult:
    """`post_in` for several postings at once (a batch of imported debts), checked as one chain: all or nothing, with
    a few statements whatever their number. Each transfer keeps its own posting's `effective_at`."""
    repo = LedgerRepository(session)
    accounts = {a.id: a for a in (open_account(key) for posting, _ in postings for key in posting.accounts)}
    await repo.open_accounts(accounts.values())
    limited = sorted(a.id for a in accounts.values() if a.flags != AccountFlag.NONE)
    for account_id, (debits, credits) in (await repo.lock_totals(limited)).items():
        accounts[account_id] = replace(accounts[account_id], debits_posted=debits, credits_posted=credits)
    transfers = [t for posting, _ in postings for t in posting.transfers]
    existing = await repo.transfers([t.id for t in transfers])
    result = post(accounts, transfers, existing=existing)
    if not result.already_posted:
        effective = {t.id: at for posting, at in postings for t in posting.transfers}
        await repo.insert_dated_transfers([(t, effective[t.id]) for t in result.created])
    return result


async def record_liabilities_from(session: AsyncSession, relation: str) -> int:
    """Many debts' recordings in the caller's transaction, set-based (a bulk import): one `LIABILITY_RECORDED`
    transfer per row of `relation` (trusted SQL: a table or a parenthesised SELECT with `transfer_id`,
    `liability_id`, `revenue_id`, `npwp`, `kap_kjs`, `period`, `assessment_number`, `amount`, `reference`,
    `effective_at`; the ids as `postings.debt_posting` derives them), its accounts opened first. Returns the
    transfers inserted.

    What `post` checks holds here by construction, so nothing is locked or summed: every transfer debits a liability
    and credits the revenue of its KAP-KJS (the code's allowed kinds, one ledger), and a debit can never take a
    liability's credits beyond its debits, nor has the revenue account a limit. The amounts are checked whole and
    positive (`ledger.amount_invalid`, all or nothing); a transfer id posted before fails the insert."""
    repo = LedgerRepository(session)
    if await repo.recordings_not_whole_positive(relation):
        raise AmountInvalid("a recording's amount is not a positive whole rupiah", reason="not_whole_rupiah")
    liability, revenue = KIND_RULES[AccountKind.TAXPAYER_LIABILITY], KIND_RULES[AccountKind.STATE_REVENUE]
    await repo.open_recording_accounts(relation, liability=(liability.code, liability.flags.value),
                                       revenue=(revenue.code, revenue.flags.value), ledger=IDR_LEDGER)
    return await repo.insert_recordings(relation, code=int(TransferCode.LIABILITY_RECORDED), ledger=IDR_LEDGER)


async def taxpayer_ledger(uow: UnitOfWork, principal: Principal, params: CursorParams, *,
                          npwp: str | None) -> LedgerRead:
    principal.require(READ)
    npwp = acting_taxpayer(principal, npwp)
    async with uow:
        repo = LedgerRepository(uow.session)
        page, more = await repo.liability_page(npwp, params)
        by_kind = await repo.balances_by_kind(npwp)
    last = page[-1].account if page else None
    return LedgerRead(
        npwp=npwp,
        owed=amount_text(by_kind.get(str(AccountKind.TAXPAYER_LIABILITY), ZERO)),
        deposit=amount_text(ZERO - by_kind.get(str(AccountKind.TAXPAYER_DEPOSIT), ZERO)),
        items=[LedgerLine.of(t.account, t.debits, t.credits) for t in page],
        next_cursor=encode_cursor(last.created_at, last.id) if more and last else None,
    )


@dataclass
class LedgerAudit:
    """The invariants over the whole ledger; `problems` is empty when they all hold."""

    debits: Decimal = ZERO
    credits: Decimal = ZERO
    accounts: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def balanced(self) -> bool:
        return self.debits == self.credits


async def audit_ledger(uow: UnitOfWork) -> LedgerAudit:
    """Sum of all debits equals sum of all credits; no liability is paid beyond what it owes and no deposit goes
    below zero; every transfer moves money between the kinds of account its code allows, on one ledger; every bank
    payment is settled by exactly one transfer for its amount, and no settling transfer lacks its payment; every debt
    is recorded by exactly one transfer for its amount; and what each taxpayer owes in the ledger (the balances of
    their liabilities) equals their open debts (a payment settles a debt in full, and every other liability is
    recorded and settled by the same payment)."""
    report = LedgerAudit()
    async with uow:
        repo = LedgerRepository(uow.session)
        totals = await repo.all_totals()
        kinds = await repo.transfer_kinds()
        mismatched = await repo.ledger_mismatches()
        unposted = await repo.payments_not_posted_once(SETTLING_CODES)
        orphans = await repo.settling_transfers_without_payment(SETTLING_CODES)
        unrecorded = await repo.debts_not_recorded_once(TransferCode.LIABILITY_RECORDED)
        owed = await repo.owed_unlike_open_debts()
    for account_id, kind, flags, debits, credits in totals:
        report.accounts += 1
        report.debits += debits
        report.credits += credits
        if AccountFlag(flags) != KIND_RULES[AccountKind(kind)].flags:
            report.problems.append(f"account {account_id} has flags {flags}, its kind {kind} has others")
        if AccountFlag.CREDITS_MUST_NOT_EXCEED_DEBITS in AccountFlag(flags) and credits > debits:
            report.problems.append(f"account {account_id} ({kind}) credited {credits} beyond its debits {debits}")
        if AccountFlag.DEBITS_MUST_NOT_EXCEED_CREDITS in AccountFlag(flags) and debits > credits:
            report.problems.append(f"account {account_id} ({kind}) debited {debits} beyond its credits {credits}")
    if not report.balanced:
        report.problems.append(f"debits {report.debits} != credits {report.credits}")
    for k in kinds:
        allowed = ALLOWED_ACCOUNTS.get(TransferCode(k.code))
        if allowed is None or (str(allowed[0]), str(allowed[1])) != (k.debit_kind, k.credit_kind):
            report.problems.append(f"transfer code {k.code} moved money from {k.debit_kind} to {k.credit_kind}")
    if mismatched:
        report.problems.append(f"{mismatched} transfers are on another ledger than their accounts")
    if unposted:
        report.problems.append(f"payments not settled by exactly one transfer: {', '.join(unposted[:10])}")
    if orphans:
        report.problems.append(f"{orphans} settling transfers name no payment")
    if unrecorded:
        report.problems.append(f"debts not recorded by exactly one transfer: {', '.join(unrecorded[:10])}")
    for npwp, in_ledger, in_debts in owed[:10]:
        report.problems.append(f"{npwp} owes {in_ledger} in the ledger but {in_debts} in open debts")
    return report
