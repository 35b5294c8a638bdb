"""`python -m identity.worker`: the outbox relay, and the consumer of notification delivery outcomes."""

from fastapi import FastAPI

from contracts.topics import events_topic
from identity.otp.handlers import notification_events
from identity.settings import IdentitySettings, get_settings
from kit.worker import ConsumerSpec, create_worker_app, serve

CONSUMERS = [ConsumerSpec("notification-events", [events_topic("notification")], notification_events)]


def create_app(settings: IdentitySettings | None = None) -> FastAPI:
    return create_worker_app(settings or get_settings(), CONSUMERS)


if __name__ == "__main__":
    serve(create_app(), get_settings())
