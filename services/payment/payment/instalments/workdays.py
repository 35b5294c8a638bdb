"""Working days for the officer's decision deadline (PMK-81/2024 Art 117(2): 3 or 7 working days from receipt), pure.

Payment keeps its own copy of filing's working calendar (`data/holidays.json`, copied from
`services/filing/filing/calendar/data/holidays.json`; tests/test_data_copies.py keeps the two equal): services never
read each other's databases or packages. Over it, the years filing's officers publish (`WorkingCalendarPublished`,
kept by `payment.reference` and held in process memory): a published year replaces the packaged list of that year.
Days off are Saturday, Sunday and the listed national holidays, election days off and cuti bersama. A date in a
year without a list raises `calendar.year_unknown`: a deadline there would be a guess.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from functools import cache
from importlib.resources import files

from payment.instalments.errors import CalendarYearUnknown

_ONE_DAY = timedelta(days=1)


def days_off() -> dict[int, frozenset[date]]:
    """The listed days off in force in this process, by year: the packaged years with the published ones over them."""
    return _in_force.days_off or _packaged()


class _InForce:
    days_off: dict[int, frozenset[date]] | None = None  # None: the packaged years alone


_in_force = _InForce()


def use_published(years: Mapping[int, Iterable[date]]) -> None:
    """Make `days_off()` answer the packaged years with `years` (as filing published them) over them; `{}` restores
    the packaged years alone."""
    if any(d.year != year for year, days in years.items() for d in days):
        raise ValueError("a published day off outside its year")
    _in_force.days_off = {**_packaged(), **{year: frozenset(days) for year, days in years.items()}} if years else None


@cache
def _packaged() -> dict[int, frozenset[date]]:
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
