"""`python -m payment.worker`: the outbox relay and the consumers of other services' events."""

from fastapi import FastAPI

from contracts.topics import events_topic
from kit.replica import identity_handlers
from kit.worker import ConsumerSpec, create_worker_app, serve
from payment.settings import PaymentSettings, get_settings

CONSUMERS = [ConsumerSpec("identity-events", [events_topic("identity")], identity_handlers())]


def create_app(settings: PaymentSettings | None = None) -> FastAPI:
    return create_worker_app(settings or get_settings(), CONSUMERS)


if __name__ == "__main__":
    serve(create_app(), get_settings())
