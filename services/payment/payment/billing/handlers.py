"""Consumers of the billing slice: filing's request for an SPT-linked code (group `payment.filing-events`)."""

from __future__ import annotations

from contracts.filing import SPTPaymentRequested
from kit.consumer import Handlers
from payment.billing import service


def filing_handlers() -> Handlers:
    handlers = Handlers()
    handlers.on(SPTPaymentRequested)(service.create_spt_billing)
    return handlers
