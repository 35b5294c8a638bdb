"""Dates as the tax rules count them: the Jakarta calendar day, and tax periods (YYYY-MM)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

JAKARTA = ZoneInfo("Asia/Jakarta")


def today_jakarta() -> date:
    return datetime.now(JAKARTA).date()


def period_of(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def period_index(period: str) -> int:
    """Months since year 0: periods compared and subtracted."""
    return int(period[:4]) * 12 + int(period[5:7]) - 1
