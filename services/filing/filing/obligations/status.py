"""Where an obligation stands: open (not done, not yet due), filed (done by the effective due date), late (done
after it), overdue (not done and the effective due date has passed). For a payment, "done" means paid.
Dates are Indonesian calendar dates (WIB), the day the DJP stamps on the receipt."""

from __future__ import annotations

from datetime import date
from enum import StrEnum


class ObligationStatus(StrEnum):
    OPEN = "open"
    FILED = "filed"
    LATE = "late"
    OVERDUE = "overdue"


def obligation_status(effective_due: date, *, done_on: date | None, today: date) -> ObligationStatus:
    if done_on is not None:
        return ObligationStatus.FILED if done_on <= effective_due else ObligationStatus.LATE
    return ObligationStatus.OPEN if today <= effective_due else ObligationStatus.OVERDUE


def status_before_calendar(nominal_due: date, *, done_on: date | None, today: date) -> ObligationStatus | None:
    """The status when the effective due date is not known yet (its year has no holiday list): the effective date is
    never before the nominal one, so done or today on or before the nominal date settles it; otherwise None."""
    if done_on is not None:
        return ObligationStatus.FILED if done_on <= nominal_due else None
    return ObligationStatus.OPEN if today <= nominal_due else None
