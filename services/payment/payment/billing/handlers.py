"""Consumers of the billing slice: filing's request for an SPT-linked code (group `payment.filing-events`)."""

from __future__ import annotations

from contracts.filing import SPTPaymentRequested
from kit.consumer import Handlers
from payment.billing import service


def on_filing_events(handlers: Handlers) -> None:
    """The billing slice's part of the group `payment.filing-events` (the worker gathers every slice's)."""
    handlers.on(SPTPaymentRequested)(service.create_spt_billing)
