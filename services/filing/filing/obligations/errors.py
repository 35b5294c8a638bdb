"""Errors of the obligations slice, each with a stable code."""

from __future__ import annotations

from kit.errors import Conflict, ValidationFailed


class PeriodMismatch(ValidationFailed):
    """A masa obligation needs a month (YYYY-MM), an annual one a year (YYYY)."""

    code, title = "obligation.period_mismatch", "The period does not fit the obligation"


class ExtensionNotAnnual(ValidationFailed):
    code, title = "obligation.extension_not_annual", "Only an SPT Tahunan can be extended (KUP Art 3(4))"


class ExtensionTooLong(ValidationFailed):
    code, title = "obligation.extension_too_long", "An extension is 1 or 2 months (KUP Art 3(4))"


class ExtensionTooLate(Conflict):
    code, title = "obligation.extension_too_late", \
        "An extension must be requested before the filing deadline ends (KUP Art 3(4))"


class RangeReversed(ValidationFailed):
    code, title = "obligation.range_reversed", "`from` is after `to`"


class RangeTooLong(ValidationFailed):
    code, title = "obligation.range_too_long", "At most 120 months of obligations at a time"


class ExtensionExists(Conflict):
    code, title = "obligation.extension_exists", "This SPT Tahunan has already been extended"


class ExtensionAlreadyFiled(Conflict):
    code, title = "obligation.extension_filed", "The return is filed: there is nothing to extend"
