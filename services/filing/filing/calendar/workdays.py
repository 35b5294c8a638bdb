"""Working days for due dates: PMK-81/2024 Art 100 moves a due date that falls on a day off (Saturday, Sunday, a
national holiday, an election day off, national cuti bersama) to the next working day (tax-rules.md §5.1, §5.3).

Holidays are data (`calendar/data/holidays.json`), one list per year, with the years officers publish
(`filing.reference`, held in process memory and refreshed from the database) over them: a published year replaces
the packaged list of that year whole. A date in a year without a list raises `CalendarYearUnknown`, weekends
included: a due date there would be a guess.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from importlib import resources
from typing import Any, Literal, NamedTuple

from filing.calendar.errors import CalendarYearUnknown

DayOffKind = Literal["weekend", "national_holiday", "cuti_bersama", "election_day"]
_LISTED_KINDS = frozenset({"national_holiday", "cuti_bersama", "election_day"})
_WEEKEND_NAMES = {5: "Sabtu", 6: "Minggu"}
_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class DayOff:
    date: date
    kind: DayOffKind
    name: str


class RolledDate(NamedTuple):
    """A date moved to the next working day, and the days off that moved it (empty when it was a working day)."""

    effective: date
    days_off: tuple[DayOff, ...]


class WorkingCalendar:
    def __init__(self, days_off: Mapping[int, Mapping[date, DayOff]]) -> None:
        self._days_off = {year: dict(days) for year, days in days_off.items()}

    @classmethod
    def load(cls) -> WorkingCalendar:
        """The calendar in force in this process: the packaged years (2025 and 2026 at the time of writing) with the
        years officers published over them (`use_published`)."""
        return _in_force.calendar or _packaged()

    @classmethod
    def packaged(cls) -> WorkingCalendar:
        """The calendar packaged as data, without what was published."""
        return _packaged()

    @classmethod
    def from_data(cls, raw: Mapping[str, Any]) -> WorkingCalendar:
        """From the JSON shape of `holidays.json`: {"years": {"2025": {"days": [{date, kind, name}, ...]}}}."""
        years: dict[int, dict[date, DayOff]] = {}
        for year_text, entry in raw["years"].items():
            year = int(year_text)
            days: dict[date, DayOff] = {}
            for item in entry["days"]:
                day = date.fromisoformat(item["date"])
                if day.year != year or item["kind"] not in _LISTED_KINDS or day in days:
                    raise ValueError(f"bad holiday entry for {year}: {item}")
                days[day] = DayOff(day, item["kind"], item["name"])
            years[year] = days
        return cls(years)

    @property
    def years(self) -> frozenset[int]:
        return frozenset(self._days_off)

    def covers(self, year: int) -> bool:
        return year in self._days_off

    def day_off(self, d: date) -> DayOff | None:
        """Why `d` is not a working day (a listed holiday wins over the weekend it falls on), or None."""
        listed = self._year(d.year)
        if d in listed:
            return listed[d]
        if d.weekday() in _WEEKEND_NAMES:
            return DayOff(d, "weekend", _WEEKEND_NAMES[d.weekday()])
        return None

    def is_working_day(self, d: date) -> bool:
        return self.day_off(d) is None

    def roll_forward(self, d: date) -> RolledDate:
        """`d` if it is a working day, else the next working day, with the days off passed over."""
        passed: list[DayOff] = []
        while (off := self.day_off(d)) is not None:
            passed.append(off)
            d += _ONE_DAY
        return RolledDate(d, tuple(passed))

    def add_working_days(self, d: date, n: int) -> date:
        """The n-th working day after `d` (`d` itself not counted), e.g. "within 5 working days of the receipt";
        n = 0 gives `d` rolled forward to a working day."""
        if n < 0:
            raise ValueError("n must not be negative")
        if n == 0:
            return self.roll_forward(d).effective
        while n:
            d += _ONE_DAY
            if self.is_working_day(d):
                n -= 1
        return d

    def holidays(self, year: int) -> tuple[DayOff, ...]:
        """The listed days off of a year (weekends not included), in date order."""
        return tuple(sorted(self._year(year).values(), key=lambda off: off.date))

    def _year(self, year: int) -> Mapping[date, DayOff]:
        try:
            return self._days_off[year]
        except KeyError:
            known = ", ".join(str(y) for y in sorted(self._days_off)) or "none"
            raise CalendarYearUnknown(f"no working-day calendar for {year} (known years: {known})",
                                      year=year) from None


class _InForce:
    calendar: WorkingCalendar | None = None  # None: the packaged calendar alone


_in_force = _InForce()


def use_published(years: Mapping[int, Iterable[DayOff]]) -> WorkingCalendar:
    """Make `WorkingCalendar.load()` answer the packaged calendar with `years` (each year's listed days off, as
    officers published them: `filing.reference`) over it; `{}` restores the packaged calendar alone."""
    days_off: dict[int, Mapping[date, DayOff]] = dict(_packaged()._days_off)
    for year, days in years.items():
        listed = {off.date: off for off in days}
        if any(day.year != year or off.kind not in _LISTED_KINDS for day, off in listed.items()):
            raise ValueError(f"published days off of {year} outside the year or of an unknown kind")
        days_off[year] = listed
    _in_force.calendar = WorkingCalendar(days_off) if years else None
    return WorkingCalendar.load()


@lru_cache(maxsize=1)
def _packaged() -> WorkingCalendar:
    raw = json.loads(resources.files("filing.calendar.data").joinpath("holidays.json").read_text(encoding="utf-8"))
    return WorkingCalendar.from_data(raw)
