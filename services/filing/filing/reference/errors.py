"""Errors of the reference slice, each with a stable code; a refusal names the field in `details.path`."""

from __future__ import annotations

from kit.errors import Conflict, ValidationFailed


class YearTooFar(ValidationFailed):
    code, title = "reference.year_too_far", "Days off are published for this year or the next, not later"


class MonthTooFar(ValidationFailed):
    code, title = "reference.month_too_far", "Interest rates are published up to the next month, not later"


class DecreeInFuture(ValidationFailed):
    code, title = "reference.decree_in_future", "The decree is dated after today"


class DecreeAfterMonth(ValidationFailed):
    code, title = "reference.decree_after_month", "A month's KMK is signed before that month ends"


class DaysMissing(ValidationFailed):
    code, title = "reference.days_missing", "A year's list of days off is not empty"


class DayOutsideYear(ValidationFailed):
    code, title = "reference.day_outside_year", "A day off lies outside the year published"


class DayKindUnknown(ValidationFailed):
    code, title = "reference.day_kind_unknown", "A day off is a national_holiday, cuti_bersama or election_day"


class DayListedTwice(ValidationFailed):
    code, title = "reference.day_listed_twice", "A date is listed once"


class RateInvalid(ValidationFailed):
    code, title = "reference.rate_invalid", "A rate is a decimal number written like \"0.92\" (percent per month)"


class RateNotPositive(ValidationFailed):
    code, title = "reference.rate_not_positive", "A rate is more than zero"


class RateTooManyDecimals(ValidationFailed):
    code, title = "reference.rate_too_many_decimals", "A rate has at most 2 decimals (as the KMK writes it)"


class RateTooLarge(ValidationFailed):
    code, title = "reference.rate_too_large", "A rate is percent per month, below 10"


class RatesNotIncreasing(ValidationFailed):
    code, title = "reference.rates_not_increasing", "Each tier's rate is above the one before (the uplift rises)"


class InterestRatesDiffer(Conflict):
    """A month's KMK is not amended: rates known for a month (published, or packaged) never change. `details.known`
    says where they are known (`published`, `packaged`), `details.differs` which fields differ."""

    code, title = "reference.interest_rates_differ", "Other rates are already known for this month"
