"""Sanctions: Art 7(1) fines and the Art 7(2) exemptions, interest by tier at the monthly KMK rate (tax-rules.md
§6.2), Art 14(4) late faktur, and what an STP carries."""

from datetime import date
from decimal import Decimal

import pytest

from filing.calendar.periods import TaxPeriod
from filing.obligations.deadlines import due_date
from filing.obligations.kinds import Obligation as O
from filing.sanctions.errors import InterestRateUnknown
from filing.sanctions.interest import interest, late_payment_interest, months_charged
from filing.sanctions.rates import InterestRateTable, InterestTier
from filing.sanctions.rules import FineExemption, late_faktur_fine, late_filing_fine
from filing.sanctions.stp import LATE_FAKTUR_KAP_KJS, bill_due_date, return_stp_kap_kjs, stp_kap_kjs


@pytest.mark.parametrize(("obligation", "fine"), [
    (O.SPT_MASA_PPN, "500000"), (O.SPT_MASA_PPH, "100000"), (O.SPT_TAHUNAN_BADAN, "1000000"),
    (O.SPT_TAHUNAN_OP, "100000")])
def test_art_7_1_late_filing_fines(obligation: O, fine: str) -> None:
    result = late_filing_fine(obligation)
    assert (result.amount, result.exempted_by, result.basis) == (Decimal(fine), None, "UU KUP Art 7(1)")


@pytest.mark.parametrize("exemption", list(FineExemption))
def test_art_7_2_exemptions_waive_the_fine(exemption: FineExemption) -> None:
    result = late_filing_fine(O.SPT_TAHUNAN_OP, exemptions={exemption})
    assert (result.amount, result.exempted_by) == (Decimal(0), exemption)
    assert "Art 7(2)" in result.basis


def test_the_eight_art_7_2_cases() -> None:
    assert len(FineExemption) == 8


@pytest.mark.parametrize("obligation", [O.MASA_TAX_PAYMENT, O.PPN_PAYMENT])
def test_a_payment_is_not_fined_under_art_7(obligation: O) -> None:
    with pytest.raises(ValueError):
        late_filing_fine(obligation)


@pytest.mark.parametrize(("starts_on", "ends_on", "months"), [
    (date(2025, 9, 15), date(2025, 9, 15), 0),  # paid on the due date
    (date(2025, 9, 15), date(2025, 9, 1), 0),
    (date(2025, 9, 15), date(2025, 9, 16), 1),  # a part month counts as a month
    (date(2025, 9, 15), date(2025, 10, 15), 1),
    (date(2025, 9, 15), date(2025, 10, 20), 2),  # the worked example
    (date(2025, 1, 31), date(2025, 2, 28), 1),  # month-end clamping
    (date(2025, 1, 31), date(2025, 3, 1), 2),
    (date(2025, 9, 15), date(2027, 9, 15), 24),
    (date(2025, 9, 15), date(2027, 9, 16), 24),  # 25 months, capped at 24
    (date(2025, 9, 15), date(2031, 1, 1), 24),
])
def test_months_charged(starts_on: date, ends_on: date, months: int) -> None:
    assert months_charged(starts_on, ends_on) == months


def test_worked_example_late_pph_21_payment() -> None:
    # tax-rules.md §6.2: PPh 21 Aug 2025 Rp10,000,000 due Mon 15 Sep 2025, paid 20 Oct 2025 -> Rp190,000
    due = due_date(O.MASA_TAX_PAYMENT, TaxPeriod(2025, 8)).effective
    assert due == date(2025, 9, 15)
    charge = late_payment_interest(Decimal(10_000_000), due=due, paid_on=date(2025, 10, 20))
    assert (charge.months, charge.rate.percent, charge.amount) == (2, Decimal("0.95"), Decimal(190_000))
    assert charge.rate.decree == "5/MK/EF/2025" and charge.tier is InterestTier.T2


def test_pre_hpp_textbook_example_with_a_flat_rate_table() -> None:
    # tax-rules.md §6.2: before HPP, flat 2% a month: a raise of 50,000,000 paid 2 months late -> 2,000,000
    flat = InterestRateTable({TaxPeriod(2020, 5): {InterestTier.T2: Decimal(2)}})
    charge = interest(Decimal(50_000_000), tier=InterestTier.T2, starts_on=date(2020, 5, 1),
                      ends_on=date(2020, 6, 20), basis="UU KUP Art 8(2)", rates=flat)
    assert (charge.months, charge.amount) == (2, Decimal(2_000_000))


def test_the_rate_is_the_one_in_force_when_the_sanction_starts() -> None:
    # PPN Jul 2025 is due Sun 31 Aug 2025, rolled to Mon 1 Sep: September's rate (0.95), not August's (0.96)
    due = due_date(O.PPN_PAYMENT, TaxPeriod(2025, 7)).effective
    assert due == date(2025, 9, 1)
    charge = late_payment_interest(Decimal(10_000_000), due=due, paid_on=date(2025, 10, 20))
    assert (charge.rate.month, charge.months, charge.amount) == (TaxPeriod(2025, 9), 2, Decimal(190_000))
    # a sanction starting in August keeps August's rate for every month it runs
    aug = late_payment_interest(Decimal(10_000_000), due=date(2025, 8, 15), paid_on=date(2025, 10, 20))
    assert (aug.months, aug.rate.percent, aug.amount) == (3, Decimal("0.96"), Decimal(288_000))


def test_interest_stops_at_24_months() -> None:
    charge = late_payment_interest(Decimal(1_000_000), due=date(2025, 9, 15), paid_on=date(2029, 1, 2))
    assert (charge.months, charge.amount) == (24, Decimal(228_000))


@pytest.mark.parametrize(("principal", "amount"), [
    ("50", "1"),  # 0.50 rounds up (half-up, not half-even)
    ("150", "2"),
    ("250", "3"),  # 2.50 -> 3 (half-even would give 2)
    ("49", "0"),  # 0.49 -> 0
    ("1234567", "12346"),  # 12345.67
])
def test_interest_is_rounded_once_to_whole_rupiah_half_up(principal: str, amount: str) -> None:
    # January 2025, tier 2: 1.00% a month; one (part) month
    charge = late_payment_interest(Decimal(principal), due=date(2025, 1, 15), paid_on=date(2025, 1, 16))
    assert charge.amount == Decimal(amount)


@pytest.mark.parametrize(("tier", "starts_on", "month"), [
    (InterestTier.T2, date(2025, 3, 17), "2025-03"),  # no KMK in the table for March 2025
    (InterestTier.T2, date(2025, 6, 16), "2025-06"),  # June 2025: only tier 1 was retrieved
    (InterestTier.T4, date(2026, 3, 16), "2026-03"),  # the packaged table ends with February 2026
])
def test_a_month_without_a_published_rate_is_refused(tier: InterestTier, starts_on: date, month: str) -> None:
    with pytest.raises(InterestRateUnknown) as raised:
        interest(Decimal(1_000_000), tier=tier, starts_on=starts_on, ends_on=date(2026, 12, 1), basis="test")
    assert (raised.value.code, raised.value.status, raised.value.details) == (
        "sanctions.interest_rate_unknown", 422, {"month": month, "tier": int(tier)})


def test_nothing_is_charged_and_no_rate_is_needed_when_paid_on_time() -> None:
    charge = late_payment_interest(Decimal(1_000_000), due=date(2025, 3, 17), paid_on=date(2025, 3, 17))
    assert (charge.months, charge.rate, charge.amount) == (0, None, Decimal(0))


@pytest.mark.parametrize(("tier", "percent"), [(InterestTier.T1, "0.52"), (InterestTier.T2, "0.93"),
                                               (InterestTier.T3, "1.35"), (InterestTier.T4, "1.77"),
                                               (InterestTier.T5, "2.18")])
def test_the_packaged_table_holds_every_tier(tier: InterestTier, percent: str) -> None:
    assert InterestRateTable.load().rate(tier, date(2026, 1, 31)).percent == Decimal(percent)


@pytest.mark.parametrize(("tier", "percent"), [(InterestTier.T1, "0.51"), (InterestTier.T2, "0.92"),
                                               (InterestTier.T3, "1.34"), (InterestTier.T4, "1.76"),
                                               (InterestTier.T5, "2.17")])
def test_the_packaged_table_holds_the_february_2026_kmk(tier: InterestTier, percent: str) -> None:
    """KMK 2/MK/EF/2026, in force 1-28 February 2026 (news.ddtc.co.id/data-alat/tarif-bunga/1817083)."""
    rate = InterestRateTable.load().rate(tier, date(2026, 2, 28))
    assert (rate.percent, rate.decree) == (Decimal(percent), "2/MK/EF/2026")


def test_money_is_never_a_float_nor_negative() -> None:
    with pytest.raises(TypeError):
        late_payment_interest(0.5, due=date(2025, 9, 15), paid_on=date(2025, 10, 20))  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        late_payment_interest(Decimal(-1), due=date(2025, 9, 15), paid_on=date(2025, 10, 20))
    with pytest.raises(TypeError):
        late_faktur_fine(100.0)  # type: ignore[arg-type]


@pytest.mark.parametrize(("dpp", "fine"), [
    ("10000000", "100000"),
    ("45833333", "458333"),  # 458,333.33
    ("150", "2"),  # 1.50 -> 2
    ("149", "1"),
    ("0", "0"),
])
def test_art_14_4_late_faktur_is_1_percent_of_dpp(dpp: str, fine: str) -> None:
    assert late_faktur_fine(Decimal(dpp)) == Decimal(fine)


@pytest.mark.parametrize(("obligation", "pph_kap", "kap_kjs"), [
    (O.SPT_MASA_PPN, None, "411211-300"),  # tax-rules.md §4.3: late SPT Masa PPN fine paid as 411211-300
    (O.SPT_TAHUNAN_OP, None, "411125-300"),
    (O.SPT_TAHUNAN_BADAN, None, "411126-300"),
    (O.SPT_MASA_PPH, "411121", "411121-300"),
])
def test_stp_kap_kjs(obligation: O, pph_kap: str | None, kap_kjs: str) -> None:
    assert return_stp_kap_kjs(obligation, pph_kap=pph_kap) == kap_kjs


def test_stp_kap_kjs_refusals() -> None:
    assert LATE_FAKTUR_KAP_KJS == stp_kap_kjs("411211") == "411211-300"
    for call in (lambda: return_stp_kap_kjs(O.SPT_MASA_PPH), lambda: return_stp_kap_kjs(O.PPN_PAYMENT),
                 lambda: stp_kap_kjs("41121")):
        with pytest.raises(ValueError):
            call()


@pytest.mark.parametrize(("issued_on", "nominal", "effective"), [
    (date(2025, 9, 3), date(2025, 10, 3), date(2025, 10, 3)),
    (date(2025, 1, 31), date(2025, 2, 28), date(2025, 2, 28)),
    (date(2026, 1, 15), date(2026, 2, 15), date(2026, 2, 18)),  # Sunday, cuti bersama, Imlek
    (date(2026, 4, 30), date(2026, 5, 30), date(2026, 6, 2)),
])
def test_an_stp_is_due_one_month_after_issue_rolled_to_a_working_day(issued_on: date, nominal: date,
                                                                     effective: date) -> None:
    due = bill_due_date(issued_on)
    assert (due.nominal, due.effective) == (nominal, effective)
