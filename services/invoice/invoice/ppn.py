"""PPN computation under PMK-131/2024 with the rounding of PER-11/PJ/2025 Art 129.

Policy (documented choice, tested in tests/unit/test_ppn.py):
- Per line, at 2 decimals half-up, exactly as the Coretax XML carries it: TaxBase (DPP) = Price x Qty - Discount;
  OtherTaxBase (DPP nilai lain) = TaxBase x 11/12 for non-luxury deliveries (else = TaxBase); VAT = OtherTaxBase x
  rate (12%); STLG (PPnBM) = OtherTaxBase x STLG rate.
- Per invoice (the faktur's DPP, PPN and PPnBM): the sums of the lines rounded to whole rupiah, half-up (Art 129).
  Consequence: PPN equals round(11% x price) for non-luxury goods, the regulation's stated effect; rounding DPP nilai
  lain to whole rupiah *first* (tax-rules.md §3.5 "DNL rounded" column) is the other reading and is not used.
- Tolerances for figures computed by third-party generators (coretax-xml.md §4.4): see `tax_base_tolerance` and
  `CENT`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from kit.money import round_half_up

CENTS = Decimal("0.01")
CENT = Decimal("0.01")
RATE = Decimal("12")
NILAI_LAIN = Decimal(11) / Decimal(12)
ZERO = Decimal("0")
HUNDRED = Decimal("100")

# Codes whose non-luxury deliveries use DPP nilai lain 11/12 by default (04 is the norm; 02/03 collectors keep their
# code with 11/12; facility and other codes follow the same PMK-131 rule). 01 is "PPN on the full price" (luxury
# goods, or an explicit choice), 05 (besaran tertentu) and 06 (tourist refund) carry their own base.
NILAI_LAIN_DEFAULT = frozenset({"02", "03", "04", "07", "08", "09", "10"})


def r2(value: Decimal) -> Decimal:
    return value.quantize(CENTS, rounding=ROUND_HALF_UP)


def uses_nilai_lain(trx_code: str, *, luxury: bool, override: bool | None = None) -> bool:
    if override is not None:
        return override
    return trx_code in NILAI_LAIN_DEFAULT and not luxury


@dataclass(frozen=True)
class LineAmounts:
    tax_base: Decimal
    other_tax_base: Decimal
    vat_rate: Decimal
    vat: Decimal
    stlg_rate: Decimal
    stlg: Decimal


def compute_line(price: Decimal, qty: Decimal, discount: Decimal, *, trx_code: str, stlg_rate: Decimal = ZERO,
                 nilai_lain: bool | None = None, vat_rate: Decimal = RATE) -> LineAmounts:
    tax_base = r2(r2(price) * r2(qty) - r2(discount))
    luxury = stlg_rate > 0
    other = r2(tax_base * NILAI_LAIN) if uses_nilai_lain(trx_code, luxury=luxury, override=nilai_lain) else tax_base
    return LineAmounts(tax_base, other, vat_rate, r2(other * vat_rate / HUNDRED), stlg_rate,
                       r2(other * stlg_rate / HUNDRED))


@dataclass(frozen=True)
class Totals:
    """The faktur's figures, whole rupiah (Art 129), and the 2-dp sums they come from."""

    dpp: Decimal
    dpp_other: Decimal
    ppn: Decimal
    ppnbm: Decimal


def totals(lines: Iterable[LineAmounts]) -> Totals:
    tb = ot = vat = stlg = ZERO
    for line in lines:
        tb += line.tax_base
        ot += line.other_tax_base
        vat += line.vat
        stlg += line.stlg
    return Totals(round_half_up(tb), round_half_up(ot), round_half_up(vat), round_half_up(stlg))


def tax_base_tolerance(qty: Decimal) -> Decimal:
    """Price is rounded to 2 dp by generators, so TaxBase may differ from Price x Qty - Discount by up to
    Qty x 0.005, at least a cent and at most one rupiah (coretax-xml.md §4.4: 0.01 Odoo, 0.20 NetSuite)."""
    return min(max(CENT, abs(qty) * Decimal("0.005")), Decimal("1"))


def close(a: Decimal, b: Decimal, tolerance: Decimal = CENT) -> bool:
    return abs(a - b) <= tolerance
