"""When a reminder is due, pure: the windows the worker's set-based pass selects from.

A code is reminded of once, from `BILLING_LEAD` (24 h) before its expiry, and only while at least
`BILLING_LAST_CALL` (1 h) is left: less than that is too late to pay at a bank, so a worker that was down through a
code's window sends nothing for it. An instalment is reminded of once, from `INSTALMENT_LEAD_DAYS` (3) calendar days
before its due date up to that day itself (paying on the due date is on time; the day after, it is missed and the
remainder falls due). Calendar days, not working days: the due date is the schedule's own date, and no list of
days off is needed (payment's copy ends with 2026). Both windows are what is still meaningful now, so a pass after an
outage catches up exactly what a taxpayer can still act on, and never announces a moment that has passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

BILLING_LEAD = timedelta(hours=24)
BILLING_LAST_CALL = timedelta(hours=1)
INSTALMENT_LEAD_DAYS = 3


@dataclass(frozen=True)
class BillingWindow:
    """Codes expiring in (`after`, `until`] are reminded of now."""

    after: datetime
    until: datetime

    def holds(self, expires_at: datetime) -> bool:
        return self.after < expires_at <= self.until


@dataclass(frozen=True)
class InstalmentWindow:
    """Instalments due in [`first`, `last`] are reminded of `today`."""

    today: date
    first: date
    last: date

    def holds(self, due_date: date) -> bool:
        return self.first <= due_date <= self.last

    def days_left(self, due_date: date) -> int:
        return (due_date - self.today).days


def billing_window(now: datetime) -> BillingWindow:
    if now.tzinfo is None:
        raise ValueError("now must be aware")
    return BillingWindow(after=now + BILLING_LAST_CALL, until=now + BILLING_LEAD)


def instalment_window(today: date) -> InstalmentWindow:
    """`today` is the Jakarta day (WIB), the day a due date is counted in."""
    return InstalmentWindow(today=today, first=today, last=today + timedelta(days=INSTALMENT_LEAD_DAYS))
