"""The officer's decision deadline (PMK-81/2024 Art 117(2)): 3 or 7 working days from receipt, on payment's own copy
of the working calendar (weekends, national holidays, cuti bersama), and refused for a year without a list."""

from __future__ import annotations

from datetime import date

import pytest

from payment.instalments.errors import CalendarYearUnknown
from payment.instalments.schedule import decision_working_days
from payment.instalments.workdays import add_working_days, is_working_day


@pytest.mark.parametrize("received, days, decide_by", [
    (date(2026, 12, 4), 3, date(2026, 12, 9)),  # Fri: Mon, Tue, Wed
    (date(2026, 12, 5), 3, date(2026, 12, 9)),  # received on a Saturday: counting starts Monday
    (date(2026, 12, 4), 7, date(2026, 12, 15)),
    (date(2026, 12, 22), 3, date(2026, 12, 29)),  # Christmas and its cuti bersama passed over
    (date(2025, 3, 27), 3, date(2025, 4, 10)),  # Nyepi, Idulfitri and their cuti bersama
    (date(2025, 3, 27), 7, date(2025, 4, 16)),
    (date(2025, 12, 23), 3, date(2025, 12, 30)),
    (date(2026, 3, 18), 3, date(2026, 3, 27)),
])
def test_decision_deadlines_count_working_days_only(received: date, days: int, decide_by: date) -> None:
    assert add_working_days(received, days) == decide_by


@pytest.mark.parametrize("kind, days", [("pph29", 3), ("assessment", 7)])
def test_pph29_is_decided_in_3_working_days_and_an_assessment_in_7(kind: str, days: int) -> None:
    assert decision_working_days(kind) == days


@pytest.mark.parametrize("day, working", [
    (date(2026, 12, 7), True), (date(2026, 12, 6), False), (date(2026, 12, 25), False), (date(2025, 1, 1), False),
])
def test_weekends_and_listed_days_off_are_not_working_days(day: date, working: bool) -> None:
    assert is_working_day(day) is working


def test_a_year_without_a_calendar_is_refused_rather_than_guessed() -> None:
    with pytest.raises(CalendarYearUnknown) as refused:
        add_working_days(date(2026, 12, 28), 7)
    assert (refused.value.code, refused.value.details["year"]) == ("calendar.year_unknown", 2027)
