"""The SPT Masa PPN arithmetic: output tax by transaction code, creditable input tax, compensation, and the
resulting kurang bayar (to pay), lebih bayar (overpaid) or nihil.

- Output tax the PKP owes itself: codes whose PPN the seller collects: 01 (residual), 04 (DPP nilai lain), 05
  (besaran tertentu), 06 (tourist refund retail), 09 (assets not for sale), 10 (other deliveries; its exact scope
  is unconfirmed, tax-rules.md §3.3). Reported but not owed by the seller: 02 and 03 (PPN collected by the
  collector, UU PPN Art 16A, KUP Art 32A), 07 (not collected or borne by government), 08 (exempt).
- Nota retur reduce output tax (seller) and input tax (buyer) in the period of the return (tax-rules.md §3.8).
- Input tax: credited invoices of the period, minus returns the taxpayer issued as buyer, plus input tax the
  invoices do not carry (import documents and the like, entered by the taxpayer).
- balance = output PPN owed - creditable input PPN - compensation of an earlier overpayment; > 0 is kurang bayar,
  < 0 lebih bayar. PPnBM cannot be credited: its amount owed is reported, and paid, on its own (KAP 411221).
Rounding: every figure in the SPT Masa PPN is whole rupiah, half-up (PER-11/PJ/2025 Art 129, tax-rules.md §3.5);
figures arriving with decimals are rounded once, before the arithmetic.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from kit.money import round_half_up, to_decimal

SELF_COLLECTED = frozenset({"01", "04", "05", "06", "09", "10"})
COLLECTED_BY_COLLECTOR = frozenset({"02", "03"})
NOT_COLLECTED = frozenset({"07"})
EXEMPT = frozenset({"08"})
TRANSACTION_CODES = SELF_COLLECTED | COLLECTED_BY_COLLECTOR | NOT_COLLECTED | EXEMPT
_ZERO = Decimal(0)


class Outcome(StrEnum):
    KURANG_BAYAR = "kurang_bayar"
    LEBIH_BAYAR = "lebih_bayar"
    NIHIL = "nihil"


@dataclass(frozen=True)
class CodeAmounts:
    dpp: Decimal = _ZERO
    dpp_other: Decimal = _ZERO
    ppn: Decimal = _ZERO
    ppnbm: Decimal = _ZERO

    def rounded(self) -> CodeAmounts:
        return CodeAmounts(*(round_half_up(to_decimal(v)) for v in (self.dpp, self.dpp_other, self.ppn, self.ppnbm)))

    def __add__(self, other: CodeAmounts) -> CodeAmounts:
        return CodeAmounts(self.dpp + other.dpp, self.dpp_other + other.dpp_other, self.ppn + other.ppn,
                           self.ppnbm + other.ppnbm)

    def __sub__(self, other: CodeAmounts) -> CodeAmounts:
        return CodeAmounts(self.dpp - other.dpp, self.dpp_other - other.dpp_other, self.ppn - other.ppn,
                           self.ppnbm - other.ppnbm)


@dataclass(frozen=True)
class PpnPeriodInputs:
    """The period's figures, whole rupiah. Output figures per transaction code ('01'..'10')."""

    invoices_by_code: Mapping[str, CodeAmounts]  # signed invoices of the period (cancelled or replaced ones out)
    returns_received_by_code: Mapping[str, CodeAmounts]  # nota retur against the taxpayer's invoices
    input_ppn_credited: Decimal = _ZERO  # invoices the taxpayer credited in this period
    input_ppn_returned: Decimal = _ZERO  # nota retur the taxpayer issued as buyer in this period
    other_input_ppn: Decimal = _ZERO  # entered by the taxpayer
    compensation: Decimal = _ZERO  # an earlier period's lebih bayar carried into this one


@dataclass(frozen=True)
class PpnReturnFigures:
    by_code: dict[str, CodeAmounts]  # net of returns, codes in order
    output_ppn_owed: Decimal  # the seller collects it: SELF_COLLECTED
    output_ppn_collected_by_collectors: Decimal  # 02, 03
    output_ppn_not_collected: Decimal  # 07
    output_ppn_exempt: Decimal  # 08
    ppnbm_owed: Decimal
    input_ppn_creditable: Decimal
    compensation: Decimal
    balance: Decimal  # > 0 kurang bayar, < 0 lebih bayar

    @property
    def outcome(self) -> Outcome:
        if self.balance > 0:
            return Outcome.KURANG_BAYAR
        return Outcome.LEBIH_BAYAR if self.balance < 0 else Outcome.NIHIL

    @property
    def amount_due(self) -> Decimal:
        return max(self.balance, _ZERO)

    @property
    def overpayment(self) -> Decimal:
        return max(-self.balance, _ZERO)


def spt_masa_ppn(inputs: PpnPeriodInputs) -> PpnReturnFigures:
    for name in ("other_input_ppn", "compensation"):
        if to_decimal(getattr(inputs, name)) < 0:
            raise ValueError(f"{name} is not negative")
    invoices = _by_code(inputs.invoices_by_code)
    returns = _by_code(inputs.returns_received_by_code)
    net = {code: invoices.get(code, CodeAmounts()) - returns.get(code, CodeAmounts())
           for code in sorted(invoices.keys() | returns.keys())}

    def ppn_of(codes: frozenset[str]) -> Decimal:
        return sum((a.ppn for c, a in net.items() if c in codes), _ZERO)

    owed = ppn_of(SELF_COLLECTED)
    ppnbm_owed = sum((a.ppnbm for c, a in net.items() if c in SELF_COLLECTED), _ZERO)
    creditable = (_whole(inputs.input_ppn_credited) - _whole(inputs.input_ppn_returned)
                  + _whole(inputs.other_input_ppn))
    compensation = _whole(inputs.compensation)
    return PpnReturnFigures(
        by_code=net, output_ppn_owed=owed, output_ppn_collected_by_collectors=ppn_of(COLLECTED_BY_COLLECTOR),
        output_ppn_not_collected=ppn_of(NOT_COLLECTED), output_ppn_exempt=ppn_of(EXEMPT), ppnbm_owed=ppnbm_owed,
        input_ppn_creditable=creditable, compensation=compensation, balance=owed - creditable - compensation)


def sum_by_code(items: Iterable[tuple[str, CodeAmounts]]) -> dict[str, CodeAmounts]:
    """Totals per transaction code from (code, amounts) pairs, e.g. one per invoice (a full recomputation)."""
    totals: dict[str, CodeAmounts] = {}
    for code, amounts in items:
        totals[code] = totals.get(code, CodeAmounts()) + amounts
    return totals


def _by_code(amounts: Mapping[str, CodeAmounts]) -> dict[str, CodeAmounts]:
    unknown = set(amounts) - TRANSACTION_CODES
    if unknown:
        raise ValueError(f"unknown transaction codes: {sorted(unknown)}")
    return {code: a.rounded() for code, a in amounts.items()}


def _whole(value: Decimal) -> Decimal:
    return round_half_up(to_decimal(value))
