"""Which transfers a business fact posts, pure: the accounts it touches and the transfers, with ids derived from the
fact's business key so that a retry from anywhere posts the same ids (see README.md)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from payment.ledger.accounts import (
    AccountKey,
    account_id,
    bank_settlement_key,
    deposit_key,
    liability_key,
    state_revenue_key,
)
from payment.ledger.rules import Transfer, TransferCode, transfer_id

DEPOSIT_KAP_KJS = "411618-100"  # a payment with this KAP-KJS tops up the deposit (tax-rules §4.4)


@dataclass(frozen=True)
class Posting:
    key: str
    accounts: tuple[AccountKey, ...]
    transfers: tuple[Transfer, ...]


def payment_key(bank_id: str, bank_reference: str) -> str:
    return f"payment:{bank_id}:{bank_reference}"


def debt_key(debt_id: str) -> str:
    return f"debt:{debt_id}"


def debt_posting(*, debt_id: str, npwp: str, kap_kjs: str, period: str | None, assessment_number: str | None,
                 amount: Decimal) -> Posting:
    """A debt recorded (an STP, an SKP, a legacy debt): the taxpayer's liability for its KAP-KJS and STP/SKP number
    (or period) owes the amount to the state until a payment settles it. The reference is the debt's id, so the
    audit finds each debt's one recording."""
    key = debt_key(debt_id)
    liability = liability_key(npwp, kap_kjs, period=period, assessment_number=assessment_number)
    revenue = state_revenue_key(kap_kjs)
    return Posting(key, (liability, revenue), (
        Transfer(transfer_id(key, 0), account_id(liability), account_id(revenue), amount,
                 TransferCode.LIABILITY_RECORDED, reference=debt_id),))


def payment_posting(*, bank_id: str, bank_reference: str, npwp: str, kap_kjs: str, period: str | None,
                    assessment_number: str | None, amount: Decimal, ntpn: str,
                    liability_recorded: bool = False) -> Posting:
    """A bank payment of a billing code. For 411618-100 it tops up the deposit. A code from a bill pays a liability
    recorded before (its debt, `liability_recorded`): the payment settles it. Otherwise the payment records the
    liability the code names (a self-assessed amount, or an SPT's kurang bayar, which is owed once the SPT is
    submitted, i.e. when it is paid) and settles it in the same posting. Either way the balance is zero afterwards."""
    key = payment_key(bank_id, bank_reference)
    bank = bank_settlement_key(bank_id)
    if kap_kjs == DEPOSIT_KAP_KJS:
        deposit = deposit_key(npwp)
        return Posting(key, (bank, deposit), (
            Transfer(transfer_id(key, 0), account_id(bank), account_id(deposit), amount,
                     TransferCode.DEPOSIT_TOPPED_UP, reference=ntpn),))
    liability = liability_key(npwp, kap_kjs, period=period, assessment_number=assessment_number)
    if liability_recorded:  # leg 1 settles, as in the posting below
        return Posting(key, (liability, bank), (
            Transfer(transfer_id(key, 1), account_id(bank), account_id(liability), amount,
                     TransferCode.PAYMENT_APPLIED, reference=ntpn),))
    revenue = state_revenue_key(kap_kjs)
    return Posting(key, (liability, revenue, bank), (
        Transfer(transfer_id(key, 0), account_id(liability), account_id(revenue), amount,
                 TransferCode.LIABILITY_RECORDED, reference=ntpn),
        Transfer(transfer_id(key, 1), account_id(bank), account_id(liability), amount,
                 TransferCode.PAYMENT_APPLIED, reference=ntpn),
    ))


# -- instalments (tax-rules §6.5) --------------------------------------------------------------------------------
def instalment_interest_posting(*, arrangement_id: str, npwp: str, kap_kjs: str, period: str | None,
                                assessment_number: str | None, amount: Decimal) -> Posting:
    """Instalments granted: the schedule's Art 19(2) interest is owed on the debt's liability beside its principal,
    so each instalment's code (principal + interest) settles part of it."""
    key = f"instalments:{arrangement_id}"
    liability = liability_key(npwp, kap_kjs, period=period, assessment_number=assessment_number)
    revenue = state_revenue_key(kap_kjs)
    return Posting(key, (liability, revenue), (
        Transfer(transfer_id(key, 0), account_id(liability), account_id(revenue), amount,
                 TransferCode.LIABILITY_RECORDED, reference=arrangement_id),))


def instalment_interest_cancelled_posting(*, arrangement_id: str, npwp: str, kap_kjs: str, period: str | None,
                                          assessment_number: str | None, amount: Decimal) -> Posting:
    """A missed instalment made the remainder due: the interest of instalments not yet due never ran."""
    key = f"instalments:{arrangement_id}:accelerated"
    liability = liability_key(npwp, kap_kjs, period=period, assessment_number=assessment_number)
    revenue = state_revenue_key(kap_kjs)
    return Posting(key, (liability, revenue), (
        Transfer(transfer_id(key, 0), account_id(revenue), account_id(liability), amount,
                 TransferCode.LIABILITY_REDUCED, reference=arrangement_id),))


# -- the deposit (tax-rules §4.4) --------------------------------------------------------------------------------
def deposit_movement_key(movement_id: str) -> str:
    return f"deposit:{movement_id}"


def allocation_posting(*, movement_id: str, npwp: str, kap_kjs: str, period: str | None,
                       assessment_number: str | None, amount: Decimal, liability_recorded: bool) -> Posting:
    """Deposit to a liability. A debt's liability was recorded with the debt (`liability_recorded`): the deposit
    settles it. Otherwise the allocation records the self-assessed liability and settles it, as a payment does."""
    key = deposit_movement_key(movement_id)
    deposit = deposit_key(npwp)
    liability = liability_key(npwp, kap_kjs, period=period, assessment_number=assessment_number)
    settle = Transfer(transfer_id(key, 1), account_id(deposit), account_id(liability), amount,
                      TransferCode.DEPOSIT_ALLOCATED, reference=movement_id)
    if liability_recorded:
        return Posting(key, (deposit, liability), (settle,))
    revenue = state_revenue_key(kap_kjs)
    return Posting(key, (liability, revenue, deposit), (
        Transfer(transfer_id(key, 0), account_id(liability), account_id(revenue), amount,
                 TransferCode.LIABILITY_RECORDED, reference=movement_id),
        settle,
    ))


def deposit_transfer_posting(*, movement_id: str, npwp: str, to_npwp: str, amount: Decimal) -> Posting:
    key = deposit_movement_key(movement_id)
    source, target = deposit_key(npwp), deposit_key(to_npwp)
    return Posting(key, (source, target), (
        Transfer(transfer_id(key, 0), account_id(source), account_id(target), amount,
                 TransferCode.DEPOSIT_TRANSFERRED, reference=movement_id),))


def deposit_refund_posting(*, movement_id: str, npwp: str, bank_code: str, amount: Decimal) -> Posting:
    """A refund paid out through `bank_code`: the deposit goes down, and so does what that bank owes the state."""
    key = deposit_movement_key(movement_id)
    deposit, bank = deposit_key(npwp), bank_settlement_key(bank_code)
    return Posting(key, (deposit, bank), (
        Transfer(transfer_id(key, 0), account_id(deposit), account_id(bank), amount,
                 TransferCode.DEPOSIT_REFUNDED, reference=movement_id),))
