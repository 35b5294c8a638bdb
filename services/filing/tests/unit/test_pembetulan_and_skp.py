"""What a pembetulan pays and bears (UU KUP Art 8(2)/(2a)), and what an assessment carries (Art 13(2)): the raise
per KAP-KJS, the interest on it with the worked examples of tax-rules.md §6.2/§6.4, and the SKP checks and totals."""

from datetime import date
from decimal import Decimal

import pytest

from filing.assessments.rules import AssessmentKind as K
from filing.assessments.rules import assessment_interest, assessment_interest_start, check_skp, skp_total
from filing.calendar.periods import TaxPeriod, TaxYear
from filing.corrections.rules import correction_interest, correction_interest_start
from filing.obligations.kinds import Obligation as O
from filing.sanctions.rates import InterestRateTable
from filing.submissions.rules import PaymentPart, raised_parts

D = Decimal


@pytest.mark.parametrize(("payable", "previous", "parts"), [
    ({"411211-100": D(1500000)}, {"411211-100": D(1000000)}, [PaymentPart("411211-100", D(500000))]),
    ({"411211-100": D(800000)}, {"411211-100": D(1000000)}, []),  # lowers: nothing to pay
    ({"411211-100": D(100), "411221-100": D(50)}, {}, [PaymentPart("411211-100", D(100)),
                                                      PaymentPart("411221-100", D(50))]),
    ({"411121-100": D(900), "411127-100": D(0)}, {"411127-100": D(300)}, [PaymentPart("411121-100", D(900))]),
])
def test_a_pembetulan_pays_what_it_raises_per_kap_kjs(payable: dict[str, Decimal], previous: dict[str, Decimal],
                                                       parts: list[PaymentPart]) -> None:
    assert raised_parts(payable, previous) == parts


@pytest.mark.parametrize(("obligation", "period", "raise_", "paid_on", "months", "amount"), [
    # tax-rules.md §6.2 worked example, as a correction of PPh 21 Aug 2025: due 15 Sep 2025, paid 20 Oct 2025,
    # 2 months x 0.95% (Sep 2025 tier 2) on Rp10,000,000
    (O.SPT_MASA_PPH, TaxPeriod(2025, 8), "10000000", date(2025, 10, 20), 2, "190000"),
    # SPT Masa PPN Sep 2025: PPN due 31 Oct 2025 (Oct tier 2 0.95%); paid 15 Apr 2026 -> 6 months
    (O.SPT_MASA_PPN, TaxPeriod(2025, 9), "1100000", date(2026, 4, 15), 6, "62700"),
    # paid by the due date: nothing
    (O.SPT_MASA_PPN, TaxPeriod(2025, 9), "1100000", date(2025, 10, 31), 0, "0"),
    # capped at 24 months
    (O.SPT_MASA_PPN, TaxPeriod(2025, 9), "1000000", date(2028, 12, 1), 24, "228000"),
])
def test_the_interest_on_a_raise(obligation: O, period: TaxPeriod, raise_: str, paid_on: date, months: int,
                                 amount: str) -> None:
    charge = correction_interest(D(raise_), starts_on=correction_interest_start(obligation, period), paid_on=paid_on,
                                 rates=InterestRateTable.load())
    assert (charge.months, charge.amount) == (months, D(amount))
    assert charge.basis == "UU KUP Art 8(2)/(2a)"


def test_the_pre_hpp_textbook_example_at_a_flat_2_percent() -> None:
    """tax-rules.md §6.2: a correction raising PPh Badan by 50,000,000, paid 2 months late, at the old flat 2% ->
    2,000,000 (the month's rate is the table's, here a one-month table at 2.00)."""
    table = InterestRateTable.from_data({"months": [{"month": "2025-04", "rates": {"2": "2.00"}}]})
    starts = correction_interest_start(O.SPT_TAHUNAN_BADAN, TaxYear(2024))  # 30 Apr 2025
    charge = correction_interest(D(50000000), starts_on=starts, paid_on=date(2025, 6, 30), rates=table)
    assert (starts, charge.months, charge.amount) == (date(2025, 4, 30), 2, D(2000000))


@pytest.mark.parametrize(("kind", "principal", "increase", "earlier", "code"), [
    (K.SKPKB, "0", "0", 0, "skp.kind_mismatch"),
    (K.SKPLB, "0", "0", 0, "skp.kind_mismatch"),
    (K.SKPN, "1", "0", 0, "skp.kind_mismatch"),
    (K.SKPLB, "5", "1", 0, "skp.kind_mismatch"),
    (K.SKPKBT, "5", "0", 0, "skp.no_earlier_assessment"),
    (K.SKPKB, "5", "0", 1, "skp.earlier_assessment_exists"),
])
def test_an_skp_that_does_not_fit_its_kind_is_refused(kind: K, principal: str, increase: str, earlier: int,
                                                      code: str) -> None:
    with pytest.raises(Exception) as raised:
        check_skp(kind, principal=D(principal), increase=D(increase), earlier_assessments=earlier)
    assert getattr(raised.value, "code", None) == code


@pytest.mark.parametrize(("kind", "principal", "increase", "earlier"), [
    (K.SKPKB, "5", "0", 0), (K.SKPKB, "5", "2", 0), (K.SKPKBT, "5", "0", 1), (K.SKPLB, "5", "0", 0),
    (K.SKPN, "0", "0", 0)])
def test_an_skp_that_fits_its_kind(kind: K, principal: str, increase: str, earlier: int) -> None:
    check_skp(kind, principal=D(principal), increase=D(increase), earlier_assessments=earlier)


def test_an_skpkb_carries_art_13_2_interest_and_totals() -> None:
    # SPT Masa PPN Sep 2025 underpaid by Rp10,000,000, SKPKB issued 15 Apr 2026: from 30 Sep 2025, 7 months at the
    # Sep 2025 tier 4 rate (1.79%) -> Rp1,253,000
    charge = assessment_interest(D(10000000), starts_on=assessment_interest_start(TaxPeriod(2025, 9)),
                                 issued_on=date(2026, 4, 15), rates=InterestRateTable.load())
    assert (charge.months, charge.amount) == (7, D(1253000))
    assert skp_total(K.SKPKB, principal=D(10000000), interest=charge.amount, increase=D(0)) == D(11253000)
    assert skp_total(K.SKPLB, principal=D(700000), interest=D(0), increase=D(0)) == D(700000)
    assert skp_total(K.SKPN, principal=D(0), interest=D(0), increase=D(0)) == D(0)
