"""UU KUP Art 3(7)(c) at its boundaries: a lebih bayar return submitted more than 3 years after the end of its
period, once the taxpayer was warned in writing, is considered not filed; and when a written warning may be recorded
and which one counts."""

from datetime import date

import pytest

from filing.calendar.periods import TaxPeriod, TaxYear
from filing.returns.rules import NotFiledReason, Submission, not_filed_reasons, overpayment_filing_limit
from filing.warnings.errors import WarningDateInvalid
from filing.warnings.rules import ensure_recordable, warning_in_force

TOO_LATE = [NotFiledReason.OVERPAYMENT_TOO_LATE]


def _lebih_bayar(period: TaxPeriod | TaxYear, submitted_on: date, warned_on: date | None,
                 overpayment: bool = True) -> Submission:
    return Submission(period=period, submitted_on=submitted_on, signed=True, shows_overpayment=overpayment,
                      written_warning_on=warned_on)


@pytest.mark.parametrize(("period", "submitted_on", "warned_on", "overpayment", "reasons"), [
    # March 2023 ends 31 Mar 2023: the 3 years run to 31 Mar 2026 included
    (TaxPeriod(2023, 3), date(2026, 3, 31), date(2025, 6, 2), True, []),  # exactly 3 years: still filed
    (TaxPeriod(2023, 3), date(2026, 4, 1), date(2025, 6, 2), True, TOO_LATE),  # the day after
    (TaxPeriod(2023, 3), date(2026, 4, 1), None, True, []),  # never warned in writing
    (TaxPeriod(2023, 3), date(2026, 4, 1), date(2026, 4, 1), True, TOO_LATE),  # warned the same day
    (TaxPeriod(2023, 3), date(2026, 4, 1), date(2026, 4, 2), True, []),  # warned after it was submitted
    (TaxPeriod(2023, 3), date(2030, 1, 1), date(2025, 6, 2), False, []),  # kurang bayar or nil: never too late
    # a February: 28 Feb 2023 + 3 years = 28 Feb 2026; a leap February ends on the 29th, its limit on 28 Feb 2027
    (TaxPeriod(2023, 2), date(2026, 2, 28), date(2024, 1, 5), True, []),
    (TaxPeriod(2023, 2), date(2026, 3, 1), date(2024, 1, 5), True, TOO_LATE),
    (TaxPeriod(2024, 2), date(2027, 2, 28), date(2025, 1, 5), True, []),
    (TaxPeriod(2024, 2), date(2027, 3, 1), date(2025, 1, 5), True, TOO_LATE),
    # a tax year (SPT Tahunan): 3 years after 31 December
    (TaxYear(2022), date(2025, 12, 31), date(2025, 5, 1), True, []),
    (TaxYear(2022), date(2026, 1, 1), date(2025, 5, 1), True, TOO_LATE),
])
def test_an_overpayment_return_more_than_3_years_late_after_a_written_warning_is_not_filed(
        period: TaxPeriod | TaxYear, submitted_on: date, warned_on: date | None, overpayment: bool,
        reasons: list[NotFiledReason]) -> None:
    assert not_filed_reasons(_lebih_bayar(period, submitted_on, warned_on, overpayment)) == reasons


@pytest.mark.parametrize(("period", "limit"), [
    (TaxPeriod(2023, 3), date(2026, 3, 31)), (TaxPeriod(2024, 2), date(2027, 2, 28)),
    (TaxPeriod(2023, 12), date(2026, 12, 31)), (TaxYear(2022), date(2025, 12, 31)),
])
def test_the_filing_limit_is_3_years_after_the_period_ended(period: TaxPeriod | TaxYear, limit: date) -> None:
    assert overpayment_filing_limit(period) == limit


@pytest.mark.parametrize(("period", "warned_on", "today", "refused"), [
    (TaxPeriod(2023, 3), date(2023, 3, 31), date(2026, 4, 15), {"earliest": "2023-04-01"}),  # the period's last day
    (TaxPeriod(2023, 3), date(2023, 4, 1), date(2026, 4, 15), None),  # the day after it ended
    (TaxPeriod(2023, 3), date(2026, 4, 15), date(2026, 4, 15), None),  # today
    (TaxPeriod(2023, 3), date(2026, 4, 16), date(2026, 4, 15), {"latest": "2026-04-15"}),  # a letter not yet sent
    (TaxYear(2022), date(2022, 12, 31), date(2026, 4, 15), {"earliest": "2023-01-01"}),
    (TaxYear(2022), date(2023, 1, 1), date(2026, 4, 15), None),
])
def test_a_warning_is_dated_after_its_period_ended_and_not_after_today(
        period: TaxPeriod | TaxYear, warned_on: date, today: date, refused: dict[str, str] | None) -> None:
    if refused is None:
        ensure_recordable(period, warned_on, today)
        return
    with pytest.raises(WarningDateInvalid) as raised:
        ensure_recordable(period, warned_on, today)
    assert raised.value.code == "warning.date_invalid"
    assert raised.value.details == {"path": "/warned_on", **refused}


@pytest.mark.parametrize(("warnings", "submitted_on", "in_force"), [
    ([], date(2026, 4, 1), None),
    ([date(2025, 6, 2)], date(2026, 4, 1), date(2025, 6, 2)),
    ([date(2026, 4, 2)], date(2026, 4, 1), None),  # only after the submission
    ([date(2026, 4, 2), date(2025, 9, 1), date(2025, 6, 2)], date(2026, 4, 1), date(2025, 6, 2)),  # the first
    ([date(2026, 4, 1)], date(2026, 4, 1), date(2026, 4, 1)),  # the same day counts
])
def test_the_first_warning_on_or_before_the_submission_counts(warnings: list[date], submitted_on: date,
                                                              in_force: date | None) -> None:
    assert warning_in_force(warnings, submitted_on) == in_force
