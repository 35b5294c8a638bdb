"""Written warnings (pure): when one may be recorded, and which one counts for UU KUP Art 3(7)(c).

Art 3(7)(c): an SPT showing an overpayment (lebih bayar) submitted more than 3 years after the end of its masa, part
of a tax year or tax year, once the taxpayer has been warned in writing (Surat Teguran), is considered not filed. The
limit and the rule itself are `returns.rules` (`overpayment_filing_limit`, `not_filed_reasons`); a warning counts
when it is dated on or before the day the return is submitted."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from filing.calendar.periods import TaxPeriod, TaxYear
from filing.warnings.errors import WarningDateInvalid


def ensure_recordable(period: TaxPeriod | TaxYear, warned_on: date, today: date) -> None:
    """A warning about a period's return is dated after the period ended (nothing is owed before) and not in the
    future (it records a letter already sent)."""
    earliest = period.last_day + timedelta(days=1)
    if warned_on < earliest:
        raise WarningDateInvalid(f"a warning about {period} is dated from {earliest.isoformat()}",
                                 path="/warned_on", earliest=earliest.isoformat())
    if warned_on > today:
        raise WarningDateInvalid(f"a warning cannot be dated after today ({today.isoformat()})", path="/warned_on",
                                 latest=today.isoformat())


def warning_in_force(warned_on: Iterable[date], submitted_on: date) -> date | None:
    """The first warning a return submitted on `submitted_on` was given (None: it was not warned by then)."""
    return min((d for d in warned_on if d <= submitted_on), default=None)
