"""`python -m payment.worker`: the outbox relay, the consumers of other services' events, and the expiry of billing
codes."""

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress

from fastapi import FastAPI

from contracts.topics import events_topic
from kit.app import AppState, StartupStep
from kit.consumer import Handlers
from kit.db import UnitOfWork
from kit.replica import identity_handlers
from kit.worker import ConsumerSpec, create_worker_app, serve
from payment.billing import handlers as billing_handlers
from payment.billing.service import expire_due_billing_codes
from payment.debts import handlers as debts_handlers
from payment.settings import BillingSettings, PaymentSettings, get_settings

log = logging.getLogger(__name__)


def filing_handlers() -> Handlers:
    """`payment.filing-events`: SPTPaymentRequested (billing), STPIssued and SKPIssued (debts)."""
    handlers = Handlers()
    billing_handlers.on_filing_events(handlers)
    debts_handlers.on_filing_events(handlers)
    return handlers


CONSUMERS = [
    ConsumerSpec("identity-events", [events_topic("identity")], identity_handlers()),
    ConsumerSpec("filing-events", [events_topic("filing")], filing_handlers()),
]


def run_billing_expiry(settings: BillingSettings) -> StartupStep:
    """Every `expiry_interval_s`: expire the codes past their validity, a batch per transaction, until none is left.
    Several workers may run it at once: each claims its codes with SKIP LOCKED, so each expiry is published once."""

    @asynccontextmanager
    async def step(state: AppState) -> AsyncIterator[None]:
        stop = asyncio.Event()

        async def loop() -> None:
            while not stop.is_set():
                try:
                    while await expire_due_billing_codes(UnitOfWork(state.sessions),
                                                         batch=settings.expiry_batch) == settings.expiry_batch:
                        pass
                except Exception:
                    log.exception("expiring billing codes failed; retrying at the next interval")
                with suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), settings.expiry_interval_s)

        task = asyncio.create_task(loop(), name="billing-expiry")
        try:
            yield
        finally:
            stop.set()
            await asyncio.wait([task], timeout=20)
            task.cancel()

    return step


def create_app(settings: PaymentSettings | None = None,
               consumers: Sequence[ConsumerSpec] = tuple(CONSUMERS)) -> FastAPI:
    settings = settings or get_settings()
    return create_worker_app(settings, consumers, startup=[run_billing_expiry(settings.billing)])


if __name__ == "__main__":
    serve(create_app(), get_settings())
