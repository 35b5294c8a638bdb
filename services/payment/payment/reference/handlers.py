"""Consumers of payment's reference slice: filing's published days off and KMK rates (group
`payment.filing-events`)."""

from __future__ import annotations

from contracts.filing import InterestRatesPublished, WorkingCalendarPublished
from kit.consumer import Handlers
from payment.reference import service


def on_filing_events(handlers: Handlers) -> None:
    """The reference slice's part of the group `payment.filing-events` (the worker gathers every slice's)."""
    handlers.on(WorkingCalendarPublished)(service.calendar_published)
    handlers.on(InterestRatesPublished)(service.rates_published)
