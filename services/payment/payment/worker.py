"""`python -m payment.worker`: the outbox relay, the consumers of other services' events, the expiry of billing
codes, the land offices' webhooks, the debts' schedules, the reminders (a code about to expire, an instalment
about to fall due), and the `DebtRecorded` events of legacy imports."""

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from fastapi import FastAPI

from contracts.topics import events_topic
from kit import webhooks
from kit.app import AppState, StartupStep
from kit.clock import Clock
from kit.consumer import Handlers
from kit.db import UnitOfWork
from kit.replica import identity_handlers
from kit.worker import ConsumerSpec, create_worker_app, every, serve
from payment.billing import handlers as billing_handlers
from payment.billing.service import expire_due_billing_codes
from payment.debts import handlers as debts_handlers
from payment.debts.service import accrue_debt_interest, write_imported_debt_events
from payment.instalments.service import accelerate_missed
from payment.reference import handlers as reference_handlers
from payment.reference.service import kept_fresh
from payment.reminders.service import send_reminders
from payment.settings import BillingSettings, LegacyImportSettings, PaymentSettings, get_settings

log = logging.getLogger(__name__)


def filing_handlers() -> Handlers:
    """`payment.filing-events`: SPTPaymentRequested (billing), STPIssued and SKPIssued (debts),
    WorkingCalendarPublished and InterestRatesPublished (reference)."""
    handlers = Handlers()
    billing_handlers.on_filing_events(handlers)
    debts_handlers.on_filing_events(handlers)
    reference_handlers.on_filing_events(handlers)
    return handlers


CONSUMERS = [
    ConsumerSpec("identity-events", [events_topic("identity")], identity_handlers()),
    ConsumerSpec("filing-events", [events_topic("filing")], filing_handlers()),
]


def run_billing_expiry(settings: BillingSettings) -> StartupStep:
    """Every `expiry_interval_s`: expire the codes past their validity, a batch per transaction, until none is left.
    Several workers may run it at once: each claims its codes with SKIP LOCKED, so each expiry is published once."""

    async def expire(state: AppState) -> None:
        while await expire_due_billing_codes(UnitOfWork(state.sessions),
                                             batch=settings.expiry_batch) == settings.expiry_batch:
            pass

    return every("billing-expiry", settings.expiry_interval_s, expire)


def run_webhook_delivery(settings: PaymentSettings) -> StartupStep:
    """Every `phtb.webhook_interval_s`: send the due webhooks (the land offices' PHTB validations, `kit.webhooks`),
    a batch at a time until fewer than a batch are due. Several workers may run it: each claims with SKIP LOCKED."""

    @asynccontextmanager
    async def step(state: AppState) -> AsyncIterator[None]:
        http = webhooks.http_client(settings.webhooks)

        async def deliver(state: AppState) -> None:
            while await webhooks.deliver_due(state.sessions, settings.webhooks, http) >= settings.webhooks.batch:
                pass

        try:
            async with every("webhook-delivery", settings.phtb.webhook_interval_s, deliver,
                             drain_timeout_s=settings.webhooks.timeout_s + 5)(state):
                yield
        finally:
            await http.aclose()

    return step


DEBT_SCHEDULE_INTERVAL_S = 3600.0  # dates move by days: hourly is plenty
DEBT_SCHEDULE_BATCH = 200


def run_debt_schedules(interval_s: float = DEBT_SCHEDULE_INTERVAL_S,
                       batch: int = DEBT_SCHEDULE_BATCH) -> StartupStep:
    """Every `interval_s`: a missed instalment makes the remainder due (`instalments.accelerate_missed`), then
    another month of Art 19 interest on unpaid debts past due is reported (`debts.accrue_debt_interest`,
    `DebtInterestAccrued`), a batch per transaction until fewer are left. Safe with several workers: debts are
    claimed with SKIP LOCKED, schedules under the codes' and the debt's locks."""

    async def schedules(state: AppState) -> None:
        while await accelerate_missed(UnitOfWork(state.sessions), batch=batch) == batch:
            pass
        while await accrue_debt_interest(UnitOfWork(state.sessions), batch=batch) == batch:
            pass

    return every("debt-schedules", interval_s, schedules)


def run_legacy_debt_events(settings: LegacyImportSettings) -> StartupStep:
    """Every `events_interval_s`: the `DebtRecorded` events of the legacy imports that committed since, a batch per
    transaction until none is due (`debts.write_imported_debt_events`). Several workers may run it: each claims an
    import with SKIP LOCKED and resumes where the last commit left off."""

    async def write(state: AppState) -> None:
        while await write_imported_debt_events(UnitOfWork(state.sessions), batch=settings.events_batch):
            pass

    return every("legacy-debt-events", settings.events_interval_s, write)


REMINDER_INTERVAL_S = 900.0  # a code's reminder goes out within 15 minutes of its expiry's 24-hour mark
REMINDER_BATCH = 1000


def run_reminders(interval_s: float = REMINDER_INTERVAL_S, batch: int = REMINDER_BATCH,
                  clock: Clock | None = None) -> StartupStep:
    """Every `interval_s`: `BillingExpiryApproaching` for unpaid codes expiring within a day and
    `InstalmentDueApproaching` for unpaid instalments due within 3 days (`payment.reminders`), each once, a batch per
    transaction. Several workers may run it (a reminder row is unique per code and instalment); the first pass after
    an outage catches up on what is still in the windows."""
    clock = clock or Clock()

    async def reminders(state: AppState) -> None:
        sent = await send_reminders(UnitOfWork(state.sessions), clock, batch=batch)
        if sent.billing or sent.instalments:
            log.info("reminders sent: %d billing codes about to expire, %d instalments about to fall due",
                     sent.billing, sent.instalments)

    return every("reminders", interval_s, reminders)


def create_app(settings: PaymentSettings | None = None,
               consumers: Sequence[ConsumerSpec] = tuple(CONSUMERS)) -> FastAPI:
    settings = settings or get_settings()
    # the published days off and rates are read before the schedules start
    return create_worker_app(settings, consumers, startup=[kept_fresh(settings.reference_refresh_s),
                                                           run_billing_expiry(settings.billing),
                                                           run_webhook_delivery(settings),
                                                           run_debt_schedules(), run_reminders(),
                                                           run_legacy_debt_events(settings.legacy_import)])


if __name__ == "__main__":
    serve(create_app(), get_settings())
