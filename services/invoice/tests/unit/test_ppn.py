"""PPN under PMK-131/2024 with PER-11 Art 129 rounding: the worked examples of tax-rules.md §3.4/3.5."""

from decimal import Decimal as D

import pytest

from invoice import ppn
from kit.money import round_half_up


@pytest.mark.parametrize(("price", "dnl_2dp", "ppn_total", "dnl_rounded_first"), [
    ("100000", "91666.67", "11000", "11000"),
    ("50000000", "45833333.33", "5500000", "5500000"),
    ("32", "29.33", "4", "3"),
    ("1000041", "916704.25", "110005", "110004"),
    ("1000059", "916720.75", "110006", "110007"),
])
def test_dpp_nilai_lain_and_ppn_follow_the_documented_policy(price: str, dnl_2dp: str, ppn_total: str,
                                                             dnl_rounded_first: str) -> None:
    line = ppn.compute_line(D(price), D(1), D(0), trx_code="04")
    assert line.tax_base == D(price) and line.other_tax_base == D(dnl_2dp) and line.vat_rate == 12
    total = ppn.totals([line])
    # Our policy: PPN = whole-rupiah sum of the 2-dp line PPN, which equals round(11% x price) ...
    assert total.ppn == D(ppn_total) == round_half_up(D(price) * D("0.11"))
    # ... and differs from rounding DPP nilai lain to whole rupiah first (the other reading, §3.5) in these cases.
    assert round_half_up(round_half_up(D(price) * 11 / 12) * D("0.12")) == D(dnl_rounded_first)


@pytest.mark.parametrize(("value", "rounded"), [("1500000.49", "1500000"), ("1900000.50", "1900001"),
                                                ("10500100.49", "10500100"), ("10500100.50", "10500101")])
def test_art_129_rounds_half_up_to_whole_rupiah(value: str, rounded: str) -> None:
    line = ppn.LineAmounts(D(value), D(value), D(12), D(value), D(0), D(0))
    t = ppn.totals([line])
    assert t.dpp == t.ppn == D(rounded)


def test_luxury_goods_use_the_full_price_and_ppnbm_on_it() -> None:
    line = ppn.compute_line(D("15000"), D("200"), D("100000"), trx_code="01", stlg_rate=D("20"))
    assert (line.tax_base, line.other_tax_base, line.vat, line.stlg) == (D("2900000.00"), D("2900000.00"),
                                                                         D("348000.00"), D("580000.00"))


def test_code_01_is_full_price_and_collectors_keep_11_12() -> None:
    assert ppn.compute_line(D(100000), D(1), D(0), trx_code="01").vat == D("12000.00")
    assert ppn.compute_line(D(100000), D(1), D(0), trx_code="02").other_tax_base == D("91666.67")
    assert ppn.compute_line(D(100000), D(1), D(0), trx_code="04", nilai_lain=False).vat == D("12000.00")


def test_invoice_totals_sum_lines_then_round() -> None:
    lines = [ppn.compute_line(D("33333.34"), D(3), D("7500"), trx_code="04"),
             ppn.compute_line(D("1.41"), D(1), D(0), trx_code="04")]
    assert [x.tax_base for x in lines] == [D("92500.02"), D("1.41")]
    t = ppn.totals(lines)
    assert t.dpp == D(92501) and t.dpp_other == round_half_up(sum(x.other_tax_base for x in lines))
    assert t.ppn == round_half_up(sum(x.vat for x in lines))


def test_tolerances_for_generators() -> None:
    assert ppn.tax_base_tolerance(D(1)) == D("0.01")
    assert ppn.tax_base_tolerance(D(60)) == D("0.300")  # NetSuite 66773.33 x 60 = 4006399.80 vs 4006400
    assert ppn.tax_base_tolerance(D(10000)) == D(1)
