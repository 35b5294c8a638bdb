"""Dates as the tax rules count them: the calendar day in Jakarta (WIB), the day the DJP stamps on a receipt or a
decision. The clock is a runtime object (`AppState.provide`), so tests hand the app a fixed one and a date-bound rule
(a deadline counted in working days, a calendar that ends with its year) never depends on the day a test runs."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

JAKARTA = ZoneInfo("Asia/Jakarta")


class Clock:
    def now(self) -> datetime:
        return datetime.now(JAKARTA)

    def today(self) -> date:
        return self.now().date()


class FixedClock(Clock):
    """A clock stopped on one day (tests, and replaying a day's obligations): the time of day runs, the day does
    not."""

    def __init__(self, day: date) -> None:
        self.day = day

    def now(self) -> datetime:
        return datetime.combine(self.day, datetime.now(JAKARTA).timetz())

    def today(self) -> date:
        return self.day
