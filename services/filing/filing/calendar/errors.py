"""Errors of the calendar slice, each with a stable code."""

from __future__ import annotations

from kit.errors import AppError, ValidationFailed


class CalendarYearUnknown(AppError):
    """No holiday list is kept for the year: a due date there would be a guess. `details.year` names it."""

    code, status, title = "calendar.year_unknown", 422, "No working-day calendar for this year"


class PeriodInvalid(ValidationFailed):
    code, title = "period.invalid", "A tax period is a month written YYYY-MM or a year written YYYY"
