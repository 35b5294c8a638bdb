"""Dates as the tax rules count them: the calendar day in Jakarta (WIB), the day the DJP stamps on a receipt. The
clock is a runtime object (tests hand the app a fixed one)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

JAKARTA = ZoneInfo("Asia/Jakarta")


class Clock:
    def today(self) -> date:
        return datetime.now(JAKARTA).date()


class FixedClock(Clock):
    """A clock stopped on one day (tests, and replaying a day's obligations)."""

    def __init__(self, day: date) -> None:
        self.day = day

    def today(self) -> date:
        return self.day
