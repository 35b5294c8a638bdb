"""Consumers of the debts slice: filing's STP and SKP (group `payment.filing-events`)."""

from __future__ import annotations

from contracts.filing import SKPIssued, STPIssued
from kit.consumer import Handlers
from payment.debts import service


def on_filing_events(handlers: Handlers) -> None:
    """The debts slice's part of the group `payment.filing-events` (the worker gathers every slice's)."""
    handlers.on(STPIssued)(service.record_from_stp)
    handlers.on(SKPIssued)(service.record_from_skp)
