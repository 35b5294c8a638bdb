"""UU KUP Art 3(7) ("considered not filed") and the SPT Masa PPN arithmetic."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from filing.calendar.periods import TaxPeriod, TaxYear
from filing.returns.errors import ReturnAttachmentsMissing, ReturnUnsigned
from filing.returns.rules import NotFiledReason as R
from filing.returns.rules import Submission, ensure_considered_filed, not_filed_reasons, overpayment_filing_limit
from filing.returns.spt_masa_ppn import CodeAmounts, Outcome, PpnPeriodInputs, spt_masa_ppn, sum_by_code

OK = Submission(period=TaxPeriod(2025, 7), submitted_on=date(2025, 8, 20), signed=True,
                required_attachments=frozenset({"daftar_faktur"}), attachments=frozenset({"daftar_faktur"}))
# an overpayment return for June 2021: the 3 years end on 30 Jun 2024
LATE_LB = replace(OK, period=TaxPeriod(2021, 6), shows_overpayment=True, submitted_on=date(2024, 7, 1),
                  written_warning_on=date(2024, 3, 1))


@pytest.mark.parametrize(("submission", "reasons"), [
    (OK, []),
    (replace(OK, signed=False), [R.UNSIGNED]),  # Art 3(7)(a)
    (replace(OK, attachments=frozenset()), [R.ATTACHMENTS_MISSING]),  # Art 3(7)(b)
    (replace(OK, attachments=frozenset({"daftar_faktur", "extra"})), []),
    (LATE_LB, [R.OVERPAYMENT_TOO_LATE]),  # Art 3(7)(c)
    (replace(LATE_LB, submitted_on=date(2024, 6, 30)), []),  # within the 3 years
    (replace(LATE_LB, written_warning_on=None), []),  # late, but never warned in writing
    (replace(LATE_LB, written_warning_on=date(2024, 7, 2)), []),  # warned only after it was filed
    (replace(LATE_LB, shows_overpayment=False), []),  # a kurang bayar return is never too late to file
    (replace(LATE_LB, period=TaxYear(2020), submitted_on=date(2024, 1, 1), written_warning_on=date(2023, 12, 1)),
     [R.OVERPAYMENT_TOO_LATE]),  # an annual return: 3 years after 31 Dec 2020
    (replace(OK, audit_started_on=date(2025, 8, 20)), [R.AUDIT_STARTED]),  # Art 3(7)(d), the same day
    (replace(OK, audit_started_on=date(2025, 8, 1)), [R.AUDIT_STARTED]),
    (replace(OK, audit_started_on=date(2025, 8, 21)), []),
    (replace(OK, assessment_issued_on=date(2025, 8, 19)), [R.ASSESSMENT_ISSUED]),
    (replace(OK, signed=False, attachments=frozenset(), audit_started_on=date(2025, 8, 1),
             assessment_issued_on=date(2025, 8, 2)),
     [R.UNSIGNED, R.ATTACHMENTS_MISSING, R.AUDIT_STARTED, R.ASSESSMENT_ISSUED]),
])
def test_art_3_7_considered_not_filed(submission: Submission, reasons: list[R]) -> None:
    assert not_filed_reasons(submission) == reasons


def test_reason_codes_are_stable() -> None:
    assert [r.value for r in R] == ["return.unsigned", "return.attachments_missing", "return.overpayment_too_late",
                                    "return.audit_started", "return.assessment_issued"]


def test_overpayment_filing_limit() -> None:
    assert overpayment_filing_limit(TaxPeriod(2021, 2)) == date(2024, 2, 28)
    assert overpayment_filing_limit(TaxYear(2021)) == date(2024, 12, 31)


def test_refusal_raises_the_first_reason_and_lists_them_all() -> None:
    ensure_considered_filed(OK)
    with pytest.raises(ReturnUnsigned) as raised:
        ensure_considered_filed(replace(OK, signed=False, attachments=frozenset()))
    assert raised.value.code == "return.unsigned"
    assert raised.value.details == {"reasons": ["return.unsigned", "return.attachments_missing"],
                                    "missing_attachments": ["daftar_faktur"]}
    with pytest.raises(ReturnAttachmentsMissing):
        ensure_considered_filed(replace(OK, attachments=frozenset()))


def amounts(dpp: int = 0, dpp_other: int = 0, ppn: int = 0, ppnbm: int = 0) -> CodeAmounts:
    return CodeAmounts(Decimal(dpp), Decimal(dpp_other), Decimal(ppn), Decimal(ppnbm))


INVOICES = {
    "04": amounts(100_000_000, 91_666_667, 11_000_000),
    "01": amounts(50_000_000, 50_000_000, 6_000_000, 10_000_000),  # luxury goods: full price, PPnBM
    "02": amounts(12_000_000, 11_000_000, 1_320_000),  # collected by a government collector
    "07": amounts(5_000_000, 4_583_333, 550_000),  # not collected / DTP
    "08": amounts(2_000_000, 2_000_000, 0),  # exempt
}


def test_spt_masa_ppn_kurang_bayar_by_transaction_code() -> None:
    figures = spt_masa_ppn(PpnPeriodInputs(
        invoices_by_code=INVOICES, returns_received_by_code={"04": amounts(10_000_000, 9_166_667, 1_100_000)},
        input_ppn_credited=Decimal(7_000_000), input_ppn_returned=Decimal(200_000),
        other_input_ppn=Decimal(500_000), compensation=Decimal(1_000_000)))
    assert list(figures.by_code) == ["01", "02", "04", "07", "08"]
    assert figures.by_code["04"] == amounts(90_000_000, 82_500_000, 9_900_000)
    assert figures.output_ppn_owed == Decimal(15_900_000)  # 9,900,000 (04) + 6,000,000 (01)
    assert (figures.output_ppn_collected_by_collectors, figures.output_ppn_not_collected,
            figures.output_ppn_exempt) == (Decimal(1_320_000), Decimal(550_000), Decimal(0))
    assert figures.ppnbm_owed == Decimal(10_000_000)
    assert figures.input_ppn_creditable == Decimal(7_300_000)
    assert figures.balance == Decimal(7_600_000)  # 15,900,000 - 7,300,000 - 1,000,000
    assert (figures.outcome, figures.amount_due, figures.overpayment) == (Outcome.KURANG_BAYAR, Decimal(7_600_000),
                                                                          Decimal(0))


@pytest.mark.parametrize(("invoices", "returns", "credited", "compensation", "balance", "outcome"), [
    ({"04": amounts(ppn=1_000_000)}, {}, 1_500_000, 0, -500_000, Outcome.LEBIH_BAYAR),
    ({}, {}, 0, 0, 0, Outcome.NIHIL),  # a nil return is still owed and filed
    ({"04": amounts(ppn=1_000_000)}, {}, 1_000_000, 0, 0, Outcome.NIHIL),
    ({"04": amounts(ppn=1_000_000)}, {}, 400_000, 700_000, -100_000, Outcome.LEBIH_BAYAR),  # compensation
    ({}, {"04": amounts(1_000_000, 916_667, 110_000)}, 0, 0, -110_000, Outcome.LEBIH_BAYAR),  # a return only
    ({"03": amounts(ppn=5_000_000)}, {}, 0, 0, 0, Outcome.NIHIL),  # all collected by collectors
])
def test_spt_masa_ppn_outcomes(invoices: dict[str, CodeAmounts], returns: dict[str, CodeAmounts], credited: int,
                               compensation: int, balance: int, outcome: Outcome) -> None:
    figures = spt_masa_ppn(PpnPeriodInputs(invoices, returns, input_ppn_credited=Decimal(credited),
                                           compensation=Decimal(compensation)))
    assert (figures.balance, figures.outcome) == (Decimal(balance), outcome)
    assert figures.amount_due - figures.overpayment == figures.balance


@pytest.mark.parametrize(("entered", "whole"), [("1500000.49", "1500000"), ("1900000.50", "1900001")])
def test_figures_entered_with_decimals_are_rounded_half_up_per_art_129(entered: str, whole: str) -> None:
    figures = spt_masa_ppn(PpnPeriodInputs({}, {}, other_input_ppn=Decimal(entered)))
    assert figures.input_ppn_creditable == Decimal(whole)


def test_the_aggregate_equals_a_full_recomputation_from_the_invoices() -> None:
    per_invoice = [("04", amounts(1_000_041, 916_704, 110_005)), ("04", amounts(32, 29, 4)),
                   ("01", amounts(100_000, 100_000, 12_000)), ("04", amounts(100_000, 91_667, 11_000))]
    totals = sum_by_code(per_invoice)
    assert totals == {"04": amounts(1_100_073, 1_008_400, 121_009), "01": amounts(100_000, 100_000, 12_000)}
    assert spt_masa_ppn(PpnPeriodInputs(totals, {})).output_ppn_owed == Decimal(133_009)


@pytest.mark.parametrize("inputs", [
    PpnPeriodInputs({"11": amounts(ppn=1)}, {}),
    PpnPeriodInputs({}, {}, compensation=Decimal(-1)),
    PpnPeriodInputs({}, {}, other_input_ppn=Decimal(-1)),
])
def test_spt_masa_ppn_refuses_nonsense(inputs: PpnPeriodInputs) -> None:
    with pytest.raises(ValueError):
        spt_masa_ppn(inputs)
