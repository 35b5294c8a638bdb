"""The sanctions' own consumers, each under a group of its own so that the returns' and submissions' consumers stay
as they are (and a rate missing from the KMK table dead-letters an interest STP, not a filing):
- `filing.payment-sanctions` on `payment.events`: Art 9(2a) interest on a return's payment confirmed after the due
  date its request carried;
- `filing.invoice-sanctions` on `invoice.events`: the Art 14(4) fine of a faktur signed after its upload deadline.
Each STP is issued once: the inbox absorbs redelivery, a partial unique index a republished fact."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.envelope import Envelope
from contracts.invoice import InvoiceSigned
from contracts.payment import PaymentConfirmed
from filing.sanctions import service
from kit.clock import Clock
from kit.consumer import Handlers


def payment_sanction_handlers(clock: Clock | None = None) -> Handlers:
    """`clock` dates the STPs (tests pass a fixed one)."""
    clock = clock or Clock()

    async def payment_confirmed(session: AsyncSession, envelope: Envelope, event: PaymentConfirmed) -> None:
        await service.payment_confirmed(session, event, today=clock.today(), causation_id=str(envelope.id))

    handlers = Handlers()
    handlers.on(PaymentConfirmed)(payment_confirmed)
    return handlers


def invoice_sanction_handlers(clock: Clock | None = None) -> Handlers:
    clock = clock or Clock()

    async def invoices_signed(session: AsyncSession, events: Sequence[tuple[Envelope, InvoiceSigned]]) -> None:
        await service.invoices_signed(session, [(str(envelope.id), e) for envelope, e in events],
                                      today=clock.today())

    handlers = Handlers()
    handlers.on_many(InvoiceSigned)(invoices_signed)
    return handlers
