"""Due dates (PMK-81/2024, UU KUP Art 3(3)) rolled over days off: the test vectors of tax-rules.md §5.3."""

from datetime import date

import pytest

from filing.calendar.errors import CalendarYearUnknown
from filing.calendar.periods import TaxPeriod, TaxYear
from filing.obligations.deadlines import due_date, extended_due_date, nominal_due_date
from filing.obligations.errors import ExtensionNotAnnual, ExtensionTooLate, ExtensionTooLong, PeriodMismatch
from filing.obligations.kinds import Obligation as O

M, Y = TaxPeriod.parse, TaxYear


@pytest.mark.parametrize(("obligation", "period", "nominal", "effective", "days_off"), [
    # tax-rules.md §5.3 "Deadline test vectors"
    (O.MASA_TAX_PAYMENT, M("2025-01"), date(2025, 2, 15), date(2025, 2, 17), 2),
    (O.SPT_MASA_PPH, M("2025-03"), date(2025, 4, 20), date(2025, 4, 21), 1),
    (O.SPT_TAHUNAN_OP, Y(2024), date(2025, 3, 31), date(2025, 4, 8), 8),
    (O.SPT_MASA_PPN, M("2025-02"), date(2025, 3, 31), date(2025, 4, 8), 8),
    (O.MASA_TAX_PAYMENT, M("2025-05"), date(2025, 6, 15), date(2025, 6, 16), 1),
    (O.MASA_TAX_PAYMENT, M("2026-01"), date(2026, 2, 15), date(2026, 2, 18), 3),
    (O.MASA_TAX_PAYMENT, M("2026-02"), date(2026, 3, 15), date(2026, 3, 16), 1),
    (O.SPT_MASA_PPH, M("2026-02"), date(2026, 3, 20), date(2026, 3, 25), 5),
    (O.SPT_TAHUNAN_OP, Y(2025), date(2026, 3, 31), date(2026, 3, 31), 0),
    (O.SPT_MASA_PPN, M("2026-02"), date(2026, 3, 31), date(2026, 3, 31), 0),
    (O.SPT_TAHUNAN_BADAN, Y(2025), date(2026, 4, 30), date(2026, 4, 30), 0),
    (O.MASA_TAX_PAYMENT, M("2026-04"), date(2026, 5, 15), date(2026, 5, 18), 3),
    (O.SPT_MASA_PPN, M("2026-04"), date(2026, 5, 31), date(2026, 6, 2), 2),
    (O.PPN_PAYMENT, M("2026-04"), date(2026, 5, 31), date(2026, 6, 2), 2),
    # §5.2: a PKP confirmed 10 Jun 2025 owes its June SPT Masa PPN by 31 Jul 2025
    (O.SPT_MASA_PPN, M("2025-06"), date(2025, 7, 31), date(2025, 7, 31), 0),
    # a Saturday deadline before a Monday holiday (17 Aug 2026)
    (O.MASA_TAX_PAYMENT, M("2026-07"), date(2026, 8, 15), date(2026, 8, 18), 3),
    # 31 December deadlines, and a 20th in February
    (O.SPT_MASA_PPN, M("2025-11"), date(2025, 12, 31), date(2025, 12, 31), 0),
    (O.SPT_MASA_PPN, M("2026-11"), date(2026, 12, 31), date(2026, 12, 31), 0),
    (O.SPT_MASA_PPH, M("2025-01"), date(2025, 2, 20), date(2025, 2, 20), 0),
    (O.SPT_MASA_PPH, M("2025-11"), date(2025, 12, 20), date(2025, 12, 22), 2),
])
def test_due_dates(obligation: O, period: TaxPeriod | TaxYear, nominal: date, effective: date, days_off: int) -> None:
    deadline = due_date(obligation, period)
    assert (deadline.nominal, deadline.effective, len(deadline.days_off)) == (nominal, effective, days_off)
    assert deadline.moved is (nominal != effective)
    assert deadline.basis


def test_the_days_off_say_why_the_date_moved() -> None:
    deadline = due_date(O.MASA_TAX_PAYMENT, M("2026-01"))
    assert [(off.date, off.kind) for off in deadline.days_off] == [
        (date(2026, 2, 15), "weekend"), (date(2026, 2, 16), "cuti_bersama"), (date(2026, 2, 17), "national_holiday")]


@pytest.mark.parametrize(("obligation", "period", "year"), [
    (O.SPT_TAHUNAN_OP, Y(2026), 2027),
    (O.MASA_TAX_PAYMENT, M("2026-12"), 2027),
    (O.SPT_MASA_PPH, M("2024-05"), 2024),
])
def test_a_due_date_in_a_year_without_calendar_is_refused(obligation: O, period: TaxPeriod | TaxYear,
                                                          year: int) -> None:
    assert nominal_due_date(obligation, period).year == year  # the rule itself still answers
    with pytest.raises(CalendarYearUnknown) as raised:
        due_date(obligation, period)
    assert raised.value.details == {"year": year}


@pytest.mark.parametrize(("obligation", "period"), [
    (O.SPT_TAHUNAN_OP, M("2025-01")), (O.SPT_MASA_PPN, Y(2025)), (O.MASA_TAX_PAYMENT, Y(2025))])
def test_the_period_must_fit_the_obligation(obligation: O, period: TaxPeriod | TaxYear) -> None:
    with pytest.raises(PeriodMismatch) as raised:
        due_date(obligation, period)
    assert raised.value.code == "obligation.period_mismatch"


@pytest.mark.parametrize(("obligation", "year", "months", "requested_on", "nominal", "effective"), [
    (O.SPT_TAHUNAN_OP, Y(2025), 2, date(2026, 3, 30), date(2026, 5, 31), date(2026, 6, 2)),
    (O.SPT_TAHUNAN_BADAN, Y(2024), 2, date(2025, 1, 10), date(2025, 6, 30), date(2025, 6, 30)),
    (O.SPT_TAHUNAN_BADAN, Y(2025), 1, date(2026, 4, 30), date(2026, 5, 30), date(2026, 6, 2)),
    # requested on the last (rolled) day of the deadline: still before it ends
    (O.SPT_TAHUNAN_OP, Y(2024), 2, date(2025, 4, 8), date(2025, 5, 31), date(2025, 6, 2)),
])
def test_annual_extension_of_up_to_two_months(obligation: O, year: TaxYear, months: int, requested_on: date,
                                              nominal: date, effective: date) -> None:
    deadline = extended_due_date(obligation, year, months=months, requested_on=requested_on)
    assert (deadline.nominal, deadline.effective, deadline.extended_by_months) == (nominal, effective, months)
    assert "Art 3(4)" in deadline.basis


@pytest.mark.parametrize(("obligation", "months", "requested_on", "error", "code"), [
    (O.SPT_TAHUNAN_OP, 2, date(2025, 4, 9), ExtensionTooLate, "obligation.extension_too_late"),
    (O.SPT_TAHUNAN_OP, 3, date(2025, 3, 1), ExtensionTooLong, "obligation.extension_too_long"),
    (O.SPT_TAHUNAN_OP, 0, date(2025, 3, 1), ExtensionTooLong, "obligation.extension_too_long"),
])
def test_extension_refusals(obligation: O, months: int, requested_on: date, error: type, code: str) -> None:
    with pytest.raises(error) as raised:
        extended_due_date(obligation, Y(2024), months=months, requested_on=requested_on)
    assert raised.value.code == code


def test_only_an_annual_return_can_be_extended() -> None:
    with pytest.raises(ExtensionNotAnnual):
        extended_due_date(O.SPT_MASA_PPN, Y(2025), months=1, requested_on=date(2025, 1, 1))
