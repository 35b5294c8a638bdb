"""Consumer of `invoice.events` (group `filing.invoice-events`): the SPT Masa PPN prefill. Every fetch is applied as
one run with a handful of set-based statements (`service.record_invoice_facts`): a signing job publishes thousands of
signatures, and the nota retur, credits and cancellations among them would otherwise cost a few statements each."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.envelope import Envelope
from contracts.invoice import InputTaxCredited, InvoiceCancelled, InvoiceReplaced, InvoiceSigned, ReturnIssued
from filing.returns import service
from filing.returns.service import InvoiceFactEvent
from kit.consumer import Handlers


async def invoice_facts(session: AsyncSession, events: Sequence[tuple[Envelope, InvoiceFactEvent]]) -> None:
    await service.record_invoice_facts(session, [event for _, event in events])


def invoice_handlers() -> Handlers:
    """One run handler for all five facts, so the consumer hands it a whole fetch at once (a run is a sequence of
    events for the same handler)."""
    handlers = Handlers()
    for contract in (InvoiceSigned, InvoiceCancelled, InvoiceReplaced, ReturnIssued, InputTaxCredited):
        handlers.on_many(contract)(invoice_facts)
    return handlers
