"""What a bank's confirmation gets, decided from the code it names (locked) and what is already paid, pure.

A batch of confirmations (one bank's host-to-host file, or concurrent single calls gathered together) is decided in
rounds: a round takes at most one confirmation per billing code, per bank reference, per debt and per deposit, so
the confirmations of one round are independent and can be written together; the others wait for the next round,
where they see the first one's effect (a retry sent twice in one batch finds its payment, as it would one call
later). The order within the batch decides which of two confirmations of one code comes first.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from kit.errors import AppError
from payment.billing.amount import amount_text
from payment.billing.errors import BillingNotFound
from payment.confirmations.errors import AlreadyPaid, AmountMismatch, BankReferenceReused, BillingExpired, PaidAtInvalid
from payment.ledger.postings import DEPOSIT_KAP_KJS


@dataclass(frozen=True)
class Checked:
    """A confirmation whose code and amount are well formed."""

    bank: str
    code: str
    amount: Decimal
    reference: str
    paid_at: datetime
    correlation_id: str | None = None


@dataclass(frozen=True)
class Known:
    """A payment already recorded (or written in this batch), with what its receipt shows of its billing code."""

    id: uuid.UUID
    ntpn: str
    billing_code: str
    npwp: str
    bank_id: str
    bank_reference: str
    amount: Decimal
    paid_at: datetime
    confirmed_at: datetime
    kap_kjs: str
    period: str | None
    assessment_number: str | None


@dataclass(frozen=True)
class Code:
    """A billing code as locked for the batch, and its payment once paid."""

    id: uuid.UUID
    code: str
    npwp: str
    kap: str
    kjs: str
    period: str | None
    assessment_number: str | None
    amount: Decimal
    origin: str
    spt_id: str | None
    debt_id: uuid.UUID | None
    status: str
    expires_at: datetime
    paid_at: datetime | None
    version: int
    payment: Known | None = None

    @property
    def kap_kjs(self) -> str:
        return f"{self.kap}-{self.kjs}"

    @property
    def tops_up_deposit(self) -> bool:
        return self.kap_kjs == DEPOSIT_KAP_KJS

    @property
    def settles(self) -> str:
        """What the payment settles, as `PaymentConfirmed` says it."""
        if self.origin == "spt":
            return "spt"
        if self.tops_up_deposit:
            return "deposit"
        if self.origin == "bill":
            return "debt"
        return "self_assessed"

    def paid_by(self, payment: Known) -> Code:
        # not dataclasses.replace, which inspects the fields on every call: this runs for every payment written
        return Code(self.id, self.code, self.npwp, self.kap, self.kjs, self.period, self.assessment_number,
                    self.amount, self.origin, self.spt_id, self.debt_id, "paid", self.expires_at, payment.paid_at,
                    self.version + 1, payment)


@dataclass(frozen=True)
class New:
    """Pay the code: a new payment."""

    code: Code


@dataclass(frozen=True)
class Replay:
    """The same confirmation was answered before: its payment, nothing changes."""

    payment: Known


@dataclass(frozen=True)
class Refuse:
    """Refused with `error`, unless the bank reference was confirmed before (then that payment answers)."""

    error: AppError


Verdict = New | Replay | Refuse


def decide(code: Code | None, request: Checked, *, now: datetime, clock_skew: timedelta) -> Verdict:
    """The checks of a confirmation, in order: the code exists; a paid code answers its own payment's retry and
    refuses any other; then expiry, the whole amount, and a `paid_at` not in the future."""
    if code is None:
        return Refuse(BillingNotFound(f"no billing code {request.code}"))
    if code.status == "paid":
        paid = code.payment
        if paid is not None and (paid.bank_id, paid.bank_reference) == (request.bank, request.reference):
            return Replay(paid)
        paid_at = paid.paid_at if paid is not None else code.paid_at
        return Refuse(AlreadyPaid(f"billing code {code.code} is already paid",
                                  paid_at=paid_at.isoformat() if paid_at else None))
    if code.status == "expired" or now >= code.expires_at or request.paid_at >= code.expires_at:
        return Refuse(BillingExpired(f"billing code {code.code} expired at {code.expires_at.isoformat()}",
                                     expires_at=code.expires_at.isoformat()))
    if request.amount != code.amount:
        return Refuse(AmountMismatch(f"billing code {code.code} is for {amount_text(code.amount)}",
                                     expected=amount_text(code.amount), received=amount_text(request.amount)))
    if request.paid_at > now + clock_skew:
        return Refuse(PaidAtInvalid(f"paid_at {request.paid_at.isoformat()} is in the future"))
    return New(code)


def replayed(known: Known, request: Checked) -> BankReferenceReused | None:
    """The bank's earlier payment with this reference answers `request` if `request` says the same (None); else
    the refusal naming what differs."""
    differing = [name for name, same in (("billing_code", known.billing_code == request.code),
                                         ("amount", known.amount == request.amount),
                                         ("paid_at", known.paid_at == request.paid_at)) if not same]
    if differing:
        return BankReferenceReused(f"this bank reference was confirmed with another {', '.join(differing)}",
                                   fields=differing)
    return None


def next_round(pending: list[tuple[int, Checked]], codes: dict[str, Code]
               ) -> tuple[list[tuple[int, Checked]], list[tuple[int, Checked]]]:
    """(this round, later rounds): in batch order, a confirmation sharing nothing with an earlier one of the batch
    (billing code, bank reference, debt, a taxpayer's deposit); every other one waits. Of two confirmations that
    share anything, the earlier is always decided first, so the outcome is that of answering them one by one."""
    taken: set[object] = set()
    now_, later = [], []
    for index, request in pending:
        code = codes.get(request.code)
        keys: list[object] = [("code", request.code), ("reference", request.bank, request.reference)]
        if code is not None and code.debt_id is not None:
            keys.append(("debt", code.debt_id))
        if code is not None and code.tops_up_deposit:
            keys.append(("deposit", code.npwp))
        (now_ if taken.isdisjoint(keys) else later).append((index, request))
        taken.update(keys)  # a waiting one holds its keys too: what shares one with it keeps its place behind it
    return now_, later
