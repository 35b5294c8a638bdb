"""PPN computation under PMK-131/2024 with the rounding of PER-11/PJ/2025 Art 129.

Policy (documented choice, tested in tests/unit/test_ppn.py):
- Per line, at 2 decimals half-up, exactly as the Coretax XML carries it: TaxBase (DPP) = Price x Qty - Discount;
  OtherTaxBase (DPP nilai lain) = TaxBase x 11/12 for non-luxury deliveries (else = TaxBase); VAT = OtherTaxBase x
  rate (12%); STLG (PPnBM) = TaxBase x STLG rate.
- Luxury goods (a line with an STLG rate) pay 12% on the full price (PMK-131/2024 Art 2(2)-(3)), whatever the
  code or the invoice's DPP nilai lain choice; only from 1 to 31 January 2025 (the PMK's transition) on 11/12 of it.
  PMK-131 is a PPN rule: PPnBM keeps the selling price as its base, so STLG is on TaxBase (= OtherTaxBase on every
  luxury line but a January 2025 one).
- API drafts (`compute_line`) and uploads (`validation`, its VATRate 11 reading) take their amounts from the same
  functions here: `uses_nilai_lain` decides the base, `line_amounts` computes the figures.
- Per invoice (the faktur's DPP, PPN and PPnBM): the sums of the lines rounded to whole rupiah, half-up (Art 129).
  Consequence: PPN equals round(11% x price) for non-luxury goods, the regulation's stated effect; rounding DPP nilai
  lain to whole rupiah *first* (tax-rules.md §3.5 "DNL rounded" column) is the other reading and is not used.
- Tolerances for figures computed by third-party generators (coretax-xml.md §4.4): see `tax_base_tolerance` and
  `CENT`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
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


# PMK-131/2024: luxury goods are taxed on the full price from this day; before it (January 2025) on 11/12 of it.
LUXURY_FULL_PRICE_FROM = date(2025, 2, 1)


def luxury_on_full_price(on: date | None) -> bool:
    """Whether a luxury line dated `on` is taxed on the full price (None: an unknown date, the rule in force)."""
    return on is None or on >= LUXURY_FULL_PRICE_FROM


def uses_nilai_lain(trx_code: str, *, luxury: bool, override: bool | None = None, on: date | None = None) -> bool:
    """Whether the line's PPN is on DPP nilai lain 11/12. `override` is the invoice's choice (API `dpp_nilai_lain`);
    it applies to non-luxury lines and to January 2025 luxury lines: the law fixes the full price for luxury lines
    after it (an invoice may mix luxury and other goods)."""
    if luxury:
        if luxury_on_full_price(on):
            return False
        return True if override is None else override
    if override is not None:
        return override
    return trx_code in NILAI_LAIN_DEFAULT


@dataclass(frozen=True)
class LineAmounts:
    tax_base: Decimal
    other_tax_base: Decimal
    vat_rate: Decimal
    vat: Decimal
    stlg_rate: Decimal
    stlg: Decimal


def other_base_of(tax_base: Decimal, *, nilai_lain: bool) -> Decimal:
    return r2(tax_base * NILAI_LAIN) if nilai_lain else tax_base


def vat_of(other_tax_base: Decimal, vat_rate: Decimal) -> Decimal:
    return r2(other_tax_base * vat_rate / HUNDRED)


def stlg_of(tax_base: Decimal, stlg_rate: Decimal) -> Decimal:
    return r2(tax_base * stlg_rate / HUNDRED)


def line_amounts(tax_base: Decimal, *, nilai_lain: bool, stlg_rate: Decimal = ZERO,
                 vat_rate: Decimal = RATE) -> LineAmounts:
    """A line's figures from its DPP: what is stored for an API line and for an upload line that is restated."""
    other = other_base_of(tax_base, nilai_lain=nilai_lain)
    return LineAmounts(tax_base, other, vat_rate, vat_of(other, vat_rate), stlg_rate, stlg_of(tax_base, stlg_rate))


def compute_line(price: Decimal, qty: Decimal, discount: Decimal, *, trx_code: str, stlg_rate: Decimal = ZERO,
                 nilai_lain: bool | None = None, vat_rate: Decimal = RATE, on: date | None = None) -> LineAmounts:
    """An API line: `nilai_lain` is the invoice's choice (None: the code's default), `on` the invoice date."""
    tax_base = r2(r2(price) * r2(qty) - r2(discount))
    base_rule = uses_nilai_lain(trx_code, luxury=stlg_rate > 0, override=nilai_lain, on=on)
    return line_amounts(tax_base, nilai_lain=base_rule, stlg_rate=stlg_rate, vat_rate=vat_rate)


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
