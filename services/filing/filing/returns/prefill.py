"""How invoice facts move the SPT Masa PPN aggregates (no I/O): the changes one fact makes to a taxpayer's output
(per period and transaction code) and input (per period), merged so that a run of facts writes each aggregate row
once, always in the same key order (two transactions never lock the same rows in opposite orders).

The rule the consumer keeps: an invoice's figures count while it stands. Signing adds its output to the seller's
period; a nota retur takes its amounts from the seller's output and, when the buyer credited the invoice, from the
buyer's input, in the return's period (tax-rules.md §3.8); a credit adds the PPN to the buyer's period of the
decision (PPnBM is not creditable). Cancelling or replacing the invoice takes back everything that counted for it:
its output, the nota retur against it (a retur before a replacement "is deemed not to have happened", §3.7) and the
buyer's credit (the buyer decides again on the replacement)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypeVar

from filing.returns.spt_masa_ppn import CodeAmounts

PENDING, SIGNED, CANCELLED, REPLACED = "pending", "signed", "cancelled", "replaced"
VOID = frozenset({CANCELLED, REPLACED})
_ZERO = Decimal(0)


def transaction_code_of(nsfp: str) -> str:
    """The first two digits of an NSFP (PER-11/PJ/2025 Art 37: transaction code, status code, serial)."""
    return nsfp[:2]


@dataclass(frozen=True)
class OutputChange:
    npwp: str
    period: str
    transaction_code: str
    invoices: int = 0
    amounts: CodeAmounts = field(default_factory=CodeAmounts)
    returns: int = 0
    returned: CodeAmounts = field(default_factory=CodeAmounts)

    @property
    def key(self) -> tuple[str, ...]:
        return self.npwp, self.period, self.transaction_code

    def __add__(self, other: OutputChange) -> OutputChange:
        return OutputChange(self.npwp, self.period, self.transaction_code, self.invoices + other.invoices,
                            self.amounts + other.amounts, self.returns + other.returns, self.returned + other.returned)

    def __neg__(self) -> OutputChange:
        return OutputChange(self.npwp, self.period, self.transaction_code, -self.invoices,
                            CodeAmounts() - self.amounts, -self.returns, CodeAmounts() - self.returned)

    @property
    def is_zero(self) -> bool:
        return not (self.invoices or self.returns) and self.amounts == CodeAmounts() == self.returned


@dataclass(frozen=True)
class InputChange:
    npwp: str
    period: str
    credited_invoices: int = 0
    credited_ppn: Decimal = _ZERO
    returns: int = 0
    returned_ppn: Decimal = _ZERO

    @property
    def key(self) -> tuple[str, ...]:
        return self.npwp, self.period

    def __add__(self, other: InputChange) -> InputChange:
        return InputChange(self.npwp, self.period, self.credited_invoices + other.credited_invoices,
                           self.credited_ppn + other.credited_ppn, self.returns + other.returns,
                           self.returned_ppn + other.returned_ppn)

    def __neg__(self) -> InputChange:
        return InputChange(self.npwp, self.period, -self.credited_invoices, -self.credited_ppn, -self.returns,
                           -self.returned_ppn)

    @property
    def is_zero(self) -> bool:
        return not (self.credited_invoices or self.returns or self.credited_ppn or self.returned_ppn)


Change = TypeVar("Change", OutputChange, InputChange)


def merge(changes: Iterable[Change]) -> list[Change]:
    """One change per aggregate row, in key order; rows left unchanged dropped."""
    merged: dict[tuple[str, ...], Change] = {}
    for change in changes:
        merged[change.key] = merged[change.key] + change if change.key in merged else change
    return [merged[key] for key in sorted(merged) if not merged[key].is_zero]


@dataclass(frozen=True)
class InvoiceFact:
    """What filing keeps of one invoice (`ppn_invoice`)."""

    invoice_id: str
    state: str
    seller_npwp: str
    buyer_npwp: str | None
    transaction_code: str
    period: str | None
    amounts: CodeAmounts = field(default_factory=CodeAmounts)

    def output(self) -> OutputChange:
        """What the invoice adds to its seller's output while it is signed."""
        assert self.period is not None, "a signed invoice has its period"
        return OutputChange(self.seller_npwp, self.period, self.transaction_code, invoices=1, amounts=self.amounts)


@dataclass(frozen=True)
class ReturnFact:
    """A nota retur (`ppn_return`) and which sides it counts for."""

    return_id: str
    invoice_id: str
    seller_npwp: str
    buyer_npwp: str
    period: str
    transaction_code: str
    amounts: CodeAmounts
    seller_counted: bool = False
    buyer_counted: bool = False

    def seller_side(self) -> OutputChange:
        return OutputChange(self.seller_npwp, self.period, self.transaction_code, returns=1, returned=self.amounts)

    def buyer_side(self) -> InputChange:
        return InputChange(self.buyer_npwp, self.period, returns=1, returned_ppn=self.amounts.ppn)


@dataclass(frozen=True)
class CreditFact:
    """The buyer's input-tax decision on an invoice (`ppn_input_credit`)."""

    invoice_id: str
    buyer_npwp: str
    seller_npwp: str
    action: str
    period: str
    invoice_period: str
    ppn: Decimal
    ppnbm: Decimal
    counted: bool = False

    def credit(self) -> InputChange:
        return InputChange(self.buyer_npwp, self.period, credited_invoices=1, credited_ppn=self.ppn)


def taken_back(invoice: InvoiceFact, returns: Iterable[ReturnFact],
               credit: CreditFact | None) -> tuple[list[OutputChange], list[InputChange]]:
    """What voiding (cancelling or replacing) a standing invoice takes back: everything that counted for it."""
    output = [-invoice.output()] if invoice.state == SIGNED else []
    inputs: list[InputChange] = []
    for r in returns:
        if r.seller_counted:
            output.append(-r.seller_side())
        if r.buyer_counted:
            inputs.append(-r.buyer_side())
    if credit is not None and credit.counted:
        inputs.append(-credit.credit())
    return merge(output), merge(inputs)
