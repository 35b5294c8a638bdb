"""Working days for the officer's decision deadline (PMK-81/2024 Art 117(2): 3 or 7 working days from receipt), pure.

Payment keeps its own copy of filing's working calendar (`data/holidays.json`, copied from
`services/filing/filing/calendar/data/holidays.json`; keep the two in step when a year is added): services never read
each other's databases or packages. Days off are Saturday, Sunday and the listed national holidays, election days
off and cuti bersama. A date in a year without a list raises `calendar.year_unknown`: a deadline there would be a
guess.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from functools import cache
from importlib.resources import files

from payment.instalments.errors import CalendarYearUnknown

_ONE_DAY = timedelta(days=1)


@cache
def days_off() -> dict[int, frozenset[date]]:
    raw = json.loads((files("payment.instalments") / "data" / "holidays.json").read_text(encoding="utf-8"))
    return {int(year): frozenset(date.fromisoformat(d["date"]) for d in entry["days"])
            for year, entry in raw["years"].items()}


def is_working_day(d: date, calendar: dict[int, frozenset[date]] | None = None) -> bool:
    listed = (calendar or days_off()).get(d.year)
    if listed is None:
        known = ", ".join(str(y) for y in sorted(calendar or days_off()))
        raise CalendarYearUnknown(f"no working-day calendar for {d.year} (known years: {known})", year=d.year)
    return d.weekday() < 5 and d not in listed


def add_working_days(d: date, n: int, calendar: dict[int, frozenset[date]] | None = None) -> date:
    """The n-th working day after `d` (`d` itself not counted): "within n working days of the receipt"."""
    if n < 1:
        raise ValueError("n must be at least 1")
    while n:
        d += _ONE_DAY
        if is_working_day(d, calendar):
            n -= 1
    return d
