"""Transfers and postings, in the style of TigerBeetle (see README.md), pure.

A transfer debits one account and credits another by the same positive amount, so every transfer, and so every
posting, is balanced by construction: the sum of all accounts' debits equals the sum of all credits
(`trial_balance` is zero). A posting is a chain of transfers applied in order, each seeing the previous one's effect,
and accepted or refused as a whole. A transfer's id is its idempotency key: posting the same transfers again changes
nothing (`already_posted`), while reusing an id for different contents is refused. Ids derive from the business key
that caused the posting (`transfer_id("payment:<bank>:<bank reference>", 0)`), so a retry from anywhere produces the
same ids.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from decimal import Decimal
from enum import IntEnum

from payment.ledger.accounts import IDR_LEDGER, ZERO, Account, AccountFlag, AccountKind
from payment.ledger.errors import (
    AccountNotFound,
    AccountsMustBeDifferent,
    AmountInvalid,
    CodeNotAllowed,
    ExceedsCredits,
    ExceedsDebits,
    LedgerMismatch,
    PostingEmpty,
    PostingPartlyPosted,
    TransferExistsWithDifferentFields,
    TransferIdDuplicate,
)
from payment.ledger.ids import uuid5_hex

_TRANSFER_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:lontar:payment:ledger:transfer")


class TransferCode(IntEnum):
    """Why money moved (TigerBeetle's transfer `code`)."""

    LIABILITY_RECORDED = 1  # a debt, an SPT's kurang bayar, a self-assessed amount, interest
    PAYMENT_APPLIED = 2  # a bank payment settles a liability
    DEPOSIT_TOPPED_UP = 3  # a bank payment with 411618-100
    DEPOSIT_ALLOCATED = 4  # deposit to a liability (the deposit date counts as the payment date)
    DEPOSIT_TRANSFERRED = 5  # deposit to another deposit
    DEPOSIT_REFUNDED = 6  # deposit paid out through a bank
    LIABILITY_REDUCED = 7  # a decision lowers or cancels an assessment
    OVERPAYMENT_TO_DEPOSIT = 8  # an overpayment or imbalan bunga left after offsetting (§4.4 route 3)


_L, _D = AccountKind.TAXPAYER_LIABILITY, AccountKind.TAXPAYER_DEPOSIT
_B, _R = AccountKind.BANK_SETTLEMENT, AccountKind.STATE_REVENUE
ALLOWED_ACCOUNTS: dict[TransferCode, tuple[AccountKind, AccountKind]] = {  # (debit kind, credit kind)
    TransferCode.LIABILITY_RECORDED: (_L, _R),
    TransferCode.PAYMENT_APPLIED: (_B, _L),
    TransferCode.DEPOSIT_TOPPED_UP: (_B, _D),
    TransferCode.DEPOSIT_ALLOCATED: (_D, _L),
    TransferCode.DEPOSIT_TRANSFERRED: (_D, _D),
    TransferCode.DEPOSIT_REFUNDED: (_D, _B),
    TransferCode.LIABILITY_REDUCED: (_R, _L),
    TransferCode.OVERPAYMENT_TO_DEPOSIT: (_R, _D),
}


@dataclass(frozen=True)
class Transfer:
    id: uuid.UUID
    debit_account_id: uuid.UUID
    credit_account_id: uuid.UUID
    amount: Decimal
    code: TransferCode
    ledger: int = IDR_LEDGER
    reference: str | None = None  # what caused it (NTPN, debt id, ...): TigerBeetle's user_data


@dataclass(frozen=True)
class PostingResult:
    accounts: dict[uuid.UUID, Account]  # the accounts the posting touched, with their new totals
    created: tuple[Transfer, ...]
    already_posted: bool  # every transfer was posted before, identically: nothing changed


def transfer_id(posting_key: str, leg: int = 0) -> uuid.UUID:
    """The id of transfer number `leg` of the posting caused by `posting_key`: the same on every retry."""
    return uuid.uuid5(_TRANSFER_NAMESPACE, f"{posting_key}#{leg}")


def transfer_id_hex(posting_key: str, leg: int = 0) -> str:
    """`transfer_id(...).hex`, for a bulk import."""
    return uuid5_hex(_TRANSFER_NAMESPACE, f"{posting_key}#{leg}")


def post(accounts: Mapping[uuid.UUID, Account], transfers: Sequence[Transfer], *,
         existing: Mapping[uuid.UUID, Transfer]) -> PostingResult:
    """Apply a posting to `accounts`, given the transfers already posted under the same ids (`existing`).

    All or nothing: raises the first problem (`ledger.*`, `details.index` naming the transfer), else answers the
    touched accounts with their new totals and the transfers to store. A posting whose transfers all exist
    identically answers `already_posted` and changes nothing.
    """
    if not transfers:
        raise PostingEmpty("a posting needs at least one transfer")
    seen: set[uuid.UUID] = set()
    for index, transfer in enumerate(transfers):
        if transfer.id in seen:
            raise TransferIdDuplicate(f"transfer id {transfer.id} appears twice", index=index,
                                      transfer_id=str(transfer.id))
        seen.add(transfer.id)
    known = [t for t in transfers if t.id in existing]
    for transfer in known:
        differing = [f.name for f in fields(Transfer) if getattr(transfer, f.name) != getattr(existing[transfer.id],
                                                                                               f.name)]
        if differing:
            raise TransferExistsWithDifferentFields(f"transfer {transfer.id} exists with other {', '.join(differing)}",
                                                    index=transfers.index(transfer), transfer_id=str(transfer.id),
                                                    fields=differing)
    if known and len(known) == len(transfers):
        return PostingResult({}, (), already_posted=True)
    if known:
        raise PostingPartlyPosted("some transfers of this posting were posted and some were not",
                                  posted=[str(t.id) for t in known])
    touched: dict[uuid.UUID, Account] = {}
    for index, transfer in enumerate(transfers):
        debit, credit = _check(transfer, index, touched, accounts)
        touched[debit.id] = debit.posted(debit=transfer.amount)
        touched[credit.id] = credit.posted(credit=transfer.amount)
    return PostingResult(touched, tuple(transfers), already_posted=False)


def _check(transfer: Transfer, index: int, touched: Mapping[uuid.UUID, Account],
           accounts: Mapping[uuid.UUID, Account]) -> tuple[Account, Account]:
    where = {"index": index, "transfer_id": str(transfer.id)}
    amount = transfer.amount
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise AmountInvalid("the amount must be a finite Decimal", reason="not_decimal", **where)
    if amount <= 0:
        raise AmountInvalid("the amount must be more than zero", reason="not_positive", **where)
    if amount != amount.to_integral_value():
        raise AmountInvalid("the rupiah ledger moves whole rupiah", reason="not_whole_rupiah", **where)
    if transfer.debit_account_id == transfer.credit_account_id:
        raise AccountsMustBeDifferent("a transfer cannot debit and credit the same account", **where)
    debit, credit = (_account(account_id, touched, accounts, where)
                     for account_id in (transfer.debit_account_id, transfer.credit_account_id))
    if not transfer.ledger == debit.ledger == credit.ledger:
        raise LedgerMismatch("the transfer and its accounts are on different ledgers", **where)
    allowed = ALLOWED_ACCOUNTS.get(transfer.code)
    if allowed is None:
        raise CodeNotAllowed(f"unknown transfer code {transfer.code!r}", allowed=[], **where)
    if (debit.key.kind, credit.key.kind) != allowed:
        raise CodeNotAllowed(f"{transfer.code.name} debits a {allowed[0]} and credits a {allowed[1]}",
                             allowed=[str(k) for k in allowed], **where)
    if (AccountFlag.DEBITS_MUST_NOT_EXCEED_CREDITS in debit.flags
            and debit.debits_posted + amount > debit.credits_posted):
        raise ExceedsCredits(f"the debit exceeds what {debit.key.name} holds", account_id=str(debit.id),
                             available=str(debit.credits_posted - debit.debits_posted), **where)
    if (AccountFlag.CREDITS_MUST_NOT_EXCEED_DEBITS in credit.flags
            and credit.credits_posted + amount > credit.debits_posted):
        raise ExceedsDebits(f"the credit exceeds what {credit.key.name} owes", account_id=str(credit.id),
                            owed=str(credit.debits_posted - credit.credits_posted), **where)
    return debit, credit


def _account(account_id: uuid.UUID, touched: Mapping[uuid.UUID, Account], accounts: Mapping[uuid.UUID, Account],
             where: dict[str, object]) -> Account:
    account = touched.get(account_id) or accounts.get(account_id)
    if account is None:
        raise AccountNotFound(f"account {account_id} is not open", account_id=str(account_id), **where)
    return account


def trial_balance(accounts: Iterable[Account]) -> Decimal:
    """Sum of debits minus sum of credits over `accounts`: zero over the whole ledger, always."""
    total = ZERO
    for account in accounts:
        total += account.debits_posted - account.credits_posted
    return total


def derive_totals(transfers: Iterable[Transfer]) -> dict[uuid.UUID, tuple[Decimal, Decimal]]:
    """(debits, credits) of every account, replayed from the transfers: what the stored totals must equal."""
    totals: dict[uuid.UUID, tuple[Decimal, Decimal]] = {}
    for t in transfers:
        d_debits, d_credits = totals.get(t.debit_account_id, (ZERO, ZERO))
        totals[t.debit_account_id] = (d_debits + t.amount, d_credits)
        c_debits, c_credits = totals.get(t.credit_account_id, (ZERO, ZERO))
        totals[t.credit_account_id] = (c_debits, c_credits + t.amount)
    return totals


@dataclass(frozen=True)
class TaxpayerPosition:
    owed: Decimal  # liabilities recorded minus what settled them
    deposit: Decimal


def taxpayer_position(accounts: Iterable[Account], npwp: str) -> TaxpayerPosition:
    owed = deposit = ZERO
    for account in accounts:
        if account.key.npwp != npwp:
            continue
        if account.key.kind is AccountKind.TAXPAYER_LIABILITY:
            owed += account.balance
        elif account.key.kind is AccountKind.TAXPAYER_DEPOSIT:
            deposit += account.balance
    return TaxpayerPosition(owed, deposit)
