"""`python -m filing.worker`: the outbox relay and the consumers of other services' events."""

from fastapi import FastAPI

from contracts.topics import events_topic
from filing.registry.handlers import identity_handlers
from filing.returns.handlers import invoice_handlers
from filing.settings import FilingSettings, get_settings
from filing.submissions.handlers import payment_handlers
from kit.worker import ConsumerSpec, create_worker_app, serve

CONSUMERS = [
    ConsumerSpec("identity-events", [events_topic("identity")], identity_handlers()),
    ConsumerSpec("invoice-events", [events_topic("invoice")], invoice_handlers()),
    ConsumerSpec("payment-events", [events_topic("payment")], payment_handlers()),
]


def create_app(settings: FilingSettings | None = None) -> FastAPI:
    return create_worker_app(settings or get_settings(), CONSUMERS)


if __name__ == "__main__":
    serve(create_app(), get_settings())
