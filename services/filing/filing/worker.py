"""`python -m filing.worker`: the outbox relay, the consumers of other services' events, the sanction run after
each deadline, and the reminders before it; the published days off and interest rates kept fresh in memory."""

import logging

from fastapi import FastAPI

from contracts.topics import events_topic
from filing.obligations.handlers import identity_status_handlers
from filing.reference.service import kept_fresh
from filing.registry.handlers import identity_handlers
from filing.reminders.service import send_reminders
from filing.returns.handlers import invoice_handlers
from filing.sanctions.handlers import invoice_sanction_handlers, payment_sanction_handlers
from filing.sanctions.service import run_scheduled
from filing.settings import FilingSettings, get_settings
from filing.submissions.handlers import payment_handlers
from kit.app import AppState, StartupStep
from kit.clock import Clock
from kit.db import UnitOfWork
from kit.worker import ConsumerSpec, create_worker_app, every, serve

log = logging.getLogger(__name__)
SANCTION_RUN_INTERVAL_S = 3600.0
# the first pass waits: the consumers catch up first, so a return filed (or paid) while the worker was down counts
# before a fine is judged
SANCTION_RUN_FIRST_DELAY_S = 300.0
REMINDER_RUN_INTERVAL_S = 3600.0
REMINDER_RUN_FIRST_DELAY_S = 300.0  # as the sanction run: a return filed while the worker was down is seen first

CONSUMERS = [
    ConsumerSpec("identity-events", [events_topic("identity")], identity_handlers()),
    ConsumerSpec("invoice-events", [events_topic("invoice")], invoice_handlers()),
    ConsumerSpec("payment-events", [events_topic("payment")], payment_handlers()),
    # groups of their own: registry status (KSWP, Art 7(2)), Art 9(2a) interest, Art 14(4) late faktur
    ConsumerSpec("identity-status", [events_topic("identity")], identity_status_handlers()),
    ConsumerSpec("payment-sanctions", [events_topic("payment")], payment_sanction_handlers()),
    ConsumerSpec("invoice-sanctions", [events_topic("invoice")], invoice_sanction_handlers()),
]


def run_sanctions(interval_s: float = SANCTION_RUN_INTERVAL_S, first_delay_s: float = SANCTION_RUN_FIRST_DELAY_S,
                  clock: Clock | None = None) -> StartupStep:
    """Every `interval_s` after `first_delay_s`: the sanction run of each deadline that passed
    (`filing.sanctions.schedule`); a run is idempotent and takes an advisory lock, so several workers may try."""
    clock = clock or Clock()

    async def sanction_runs(state: AppState) -> None:
        for run in await run_scheduled(UnitOfWork(state.sessions), clock):
            log.info("sanction run %s %s: %d STPs", run.obligation.value, run.period, run.issued)

    return every("sanction-run", interval_s, sanction_runs, first_delay_s=first_delay_s)


def run_reminders(interval_s: float = REMINDER_RUN_INTERVAL_S, first_delay_s: float = REMINDER_RUN_FIRST_DELAY_S,
                  clock: Clock | None = None) -> StartupStep:
    """Every `interval_s` after `first_delay_s`: `DeadlineApproaching` for the owed returns not filed that are due in
    7 or 1 working days (`filing.reminders`); each reminder is sent once, so every pass of a day but the first sends
    nothing, and several workers may run it."""
    clock = clock or Clock()

    async def reminder_runs(state: AppState) -> None:
        for sent in await send_reminders(UnitOfWork(state.sessions), clock):
            if sent.sent:
                log.info("deadline reminders %s %s: %d sent", sent.obligation.value, sent.period, sent.sent)

    return every("deadline-reminders", interval_s, reminder_runs, first_delay_s=first_delay_s)


def create_app(settings: FilingSettings | None = None) -> FastAPI:
    settings = settings or get_settings()
    # the published days off and rates are read before the sanction run and the reminders start
    return create_worker_app(settings, CONSUMERS, startup=[kept_fresh(settings.reference_refresh_s), run_sanctions(),
                                                           run_reminders()])


if __name__ == "__main__":
    serve(create_app(), get_settings())
