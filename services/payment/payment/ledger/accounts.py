"""Ledger accounts of the treasury, in the style of TigerBeetle (see README.md): an account only accumulates
`debits_posted` and `credits_posted`; its balance is read from them according to its normal side, and flags limit
which way it may go.

Kinds (the account `code` classifies them as a chart of accounts does: 1xxx assets, 2xxx liabilities, 4xxx revenue):
- taxpayer liability, per NPWP + KAP-KJS + (period or assessment number): what the taxpayer owes, a receivable of
  the state, so a debit balance; `credits_must_not_exceed_debits`: nobody pays a liability beyond what it owes
  (more goes to the deposit).
- taxpayer deposit, per NPWP (§4.4): money held for the taxpayer, a credit balance;
  `debits_must_not_exceed_credits`: never allocated, moved or refunded below zero.
- bank settlement, per collecting bank: what the bank collected for the state and must settle, a debit balance.
- state revenue, per KAP-KJS: a credit balance.

Account ids are UUIDv5 of the account's key, so the same liability always has the same id and needs no lookup.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Flag, StrEnum, auto
from functools import lru_cache
from typing import Literal

from payment.ledger.ids import uuid5_hex

IDR_LEDGER = 360  # TigerBeetle's `ledger` partitions assets; ours is the rupiah (ISO 4217 numeric 360)
_ACCOUNT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:lontar:payment:ledger:account")
ZERO = Decimal(0)


class AccountKind(StrEnum):
    TAXPAYER_LIABILITY = "taxpayer_liability"
    TAXPAYER_DEPOSIT = "taxpayer_deposit"
    BANK_SETTLEMENT = "bank_settlement"
    STATE_REVENUE = "state_revenue"


class AccountFlag(Flag):
    NONE = 0
    DEBITS_MUST_NOT_EXCEED_CREDITS = auto()
    CREDITS_MUST_NOT_EXCEED_DEBITS = auto()


@dataclass(frozen=True)
class KindRule:
    code: int
    normal_balance: Literal["debit", "credit"]
    flags: AccountFlag


KIND_RULES: dict[AccountKind, KindRule] = {
    AccountKind.TAXPAYER_LIABILITY: KindRule(1100, "debit", AccountFlag.CREDITS_MUST_NOT_EXCEED_DEBITS),
    AccountKind.BANK_SETTLEMENT: KindRule(1200, "debit", AccountFlag.NONE),
    AccountKind.TAXPAYER_DEPOSIT: KindRule(2100, "credit", AccountFlag.DEBITS_MUST_NOT_EXCEED_CREDITS),
    AccountKind.STATE_REVENUE: KindRule(4100, "credit", AccountFlag.NONE),
}

# Which parts of the key each kind uses (the others stay None).
_KEY_PARTS: dict[AccountKind, tuple[str, ...]] = {
    AccountKind.TAXPAYER_LIABILITY: ("npwp", "kap_kjs"),  # plus exactly one of period, assessment_number
    AccountKind.TAXPAYER_DEPOSIT: ("npwp",),
    AccountKind.BANK_SETTLEMENT: ("bank_code",),
    AccountKind.STATE_REVENUE: ("kap_kjs",),
}


@dataclass(frozen=True)
class AccountKey:
    kind: AccountKind
    npwp: str | None = None
    kap_kjs: str | None = None
    period: str | None = None
    assessment_number: str | None = None
    bank_code: str | None = None

    def __post_init__(self) -> None:
        parts = set(_KEY_PARTS[self.kind])
        if self.kind is AccountKind.TAXPAYER_LIABILITY:
            if (self.period is None) == (self.assessment_number is None):
                raise ValueError("a liability is keyed by its period or its assessment number, exactly one")
            parts |= {"period"} if self.period is not None else {"assessment_number"}
        for name in ("npwp", "kap_kjs", "period", "assessment_number", "bank_code"):
            value = getattr(self, name)
            if name in parts and not value:
                raise ValueError(f"a {self.kind} account needs {name}")
            if name not in parts and value is not None:
                raise ValueError(f"a {self.kind} account takes no {name}")

    @property
    def name(self) -> str:
        """Canonical text of the key, e.g. `taxpayer_liability:0123456789012345:411121-100:period=2025-08`."""
        parts = [str(self.kind)]
        parts += [v for v in (self.npwp, self.kap_kjs, self.bank_code) if v is not None]
        if self.period is not None:
            parts.append(f"period={self.period}")
        if self.assessment_number is not None:
            parts.append(f"assessment={self.assessment_number}")
        return ":".join(parts)


def liability_key(npwp: str, kap_kjs: str, *, period: str | None = None,
                  assessment_number: str | None = None) -> AccountKey:
    return AccountKey(AccountKind.TAXPAYER_LIABILITY, npwp=npwp, kap_kjs=kap_kjs, period=period,
                      assessment_number=assessment_number)


def deposit_key(npwp: str) -> AccountKey:
    return AccountKey(AccountKind.TAXPAYER_DEPOSIT, npwp=npwp)


def bank_settlement_key(bank_code: str) -> AccountKey:
    return AccountKey(AccountKind.BANK_SETTLEMENT, bank_code=bank_code)


def state_revenue_key(kap_kjs: str) -> AccountKey:
    return AccountKey(AccountKind.STATE_REVENUE, kap_kjs=kap_kjs)


@lru_cache(maxsize=65_536)  # the banks' and revenue accounts come back in every payment
def account_id(key: AccountKey) -> uuid.UUID:
    return uuid.uuid5(_ACCOUNT_NAMESPACE, key.name)


_LIABILITY = str(AccountKind.TAXPAYER_LIABILITY)


def liability_account_id_hex(npwp: str, kap_kjs: str, period: str | None, assessment_number: str | None) -> str:
    """`account_id(liability_key(...)).hex` without building the key (a bulk import computes a million): the caller
    has checked that exactly one of period and assessment number is given."""
    tail = f"period={period}" if period is not None else f"assessment={assessment_number}"
    return uuid5_hex(_ACCOUNT_NAMESPACE, f"{_LIABILITY}:{npwp}:{kap_kjs}:{tail}")


@dataclass(frozen=True)
class Account:
    id: uuid.UUID
    key: AccountKey
    ledger: int
    code: int
    flags: AccountFlag
    debits_posted: Decimal = field(default=ZERO)
    credits_posted: Decimal = field(default=ZERO)

    @property
    def balance(self) -> Decimal:
        """On the account's normal side: what a liability owes, what a deposit holds."""
        if KIND_RULES[self.key.kind].normal_balance == "debit":
            return self.debits_posted - self.credits_posted
        return self.credits_posted - self.debits_posted

    def posted(self, *, debit: Decimal = ZERO, credit: Decimal = ZERO) -> Account:
        # not dataclasses.replace, which inspects the fields on every call: this runs for each transfer checked
        return Account(self.id, self.key, self.ledger, self.code, self.flags, self.debits_posted + debit,
                       self.credits_posted + credit)


def open_account(key: AccountKey, ledger: int = IDR_LEDGER) -> Account:
    """A new account for `key`, with its kind's code and flags and nothing posted."""
    rule = KIND_RULES[key.kind]
    return Account(account_id(key), key, ledger, rule.code, rule.flags)
