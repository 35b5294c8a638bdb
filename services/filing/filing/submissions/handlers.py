"""Consumer of `payment.events` (group `filing.payment-events`): payments and expiries of the billing codes a
submitted kurang bayar return waits for, and instalment decisions covering a return's PPh 29. Other payments (debts,
deposits, self-assessed) are not filing's concern here and pass by."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.envelope import Envelope
from contracts.payment import BillingExpired, InstalmentGranted, PaymentConfirmed
from filing.submissions import service
from kit.clock import Clock
from kit.consumer import Handlers


def payment_handlers(clock: Clock | None = None) -> Handlers:
    """`clock` dates the receipts and STPs a completed filing issues (tests pass a fixed one)."""
    clock = clock or Clock()

    async def payment_confirmed(session: AsyncSession, envelope: Envelope, event: PaymentConfirmed) -> None:
        await service.record_payment(session, clock, envelope, event)

    async def billing_expired(session: AsyncSession, envelope: Envelope, event: BillingExpired) -> None:
        await service.record_billing_expired(session, envelope, event)

    async def instalments_granted(session: AsyncSession, envelope: Envelope, event: InstalmentGranted) -> None:
        await service.record_instalments_granted(session, clock, envelope, event)

    handlers = Handlers()
    handlers.on(PaymentConfirmed)(payment_confirmed)
    handlers.on(BillingExpired)(billing_expired)
    handlers.on(InstalmentGranted)(instalments_granted)
    return handlers
