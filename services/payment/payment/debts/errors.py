"""Errors of the debts slice, each with a stable code."""

from __future__ import annotations

from kit.errors import AppError


class InterestRateUnknown(AppError):
    """The KMK rate for that month and tier is not in the packaged table: the table needs a row, not a guess.
    `details`: tier, month."""

    code, status, title = "debt.interest_rate_unknown", 503, "The interest rate for that month is not known"
