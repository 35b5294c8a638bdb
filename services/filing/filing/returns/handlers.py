"""Consumer of `invoice.events` (group `filing.invoice-events`): the SPT Masa PPN prefill. Signatures come in runs
(a signing job publishes thousands) and are applied a run at a time; the rest one by one."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.envelope import Envelope
from contracts.invoice import InputTaxCredited, InvoiceCancelled, InvoiceReplaced, InvoiceSigned, ReturnIssued
from filing.returns import service
from kit.consumer import Handlers


async def invoices_signed(session: AsyncSession, events: Sequence[tuple[Envelope, InvoiceSigned]]) -> None:
    await service.record_invoices_signed(session, [event for _, event in events])


async def invoice_cancelled(session: AsyncSession, envelope: Envelope, event: InvoiceCancelled) -> None:
    await service.record_invoice_voided(session, event)


async def invoice_replaced(session: AsyncSession, envelope: Envelope, event: InvoiceReplaced) -> None:
    await service.record_invoice_voided(session, event)


async def return_issued(session: AsyncSession, envelope: Envelope, event: ReturnIssued) -> None:
    await service.record_return(session, event)


async def input_tax_decided(session: AsyncSession, envelope: Envelope, event: InputTaxCredited) -> None:
    await service.record_input_tax_decision(session, event)


def invoice_handlers() -> Handlers:
    handlers = Handlers()
    handlers.on_many(InvoiceSigned)(invoices_signed)
    handlers.on(InvoiceCancelled)(invoice_cancelled)
    handlers.on(InvoiceReplaced)(invoice_replaced)
    handlers.on(ReturnIssued)(return_issued)
    handlers.on(InputTaxCredited)(input_tax_decided)
    return handlers
