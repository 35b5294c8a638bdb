"""Errors of the sanctions slice, each with a stable code."""

from __future__ import annotations

from kit.errors import AppError


class InterestRateUnknown(AppError):
    """The monthly KMK rate for the month the sanction starts (and the tier) is not in the table: computing the rate
    instead would be a guess (tax-rules.md §6.2: "do not compute the rate; load the monthly KMK table")."""

    code, status, title = "sanctions.interest_rate_unknown", 422, "No published interest rate for that month and tier"
