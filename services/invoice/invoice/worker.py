"""`python -m invoice.worker`: the outbox relay, the consumers of other services' events, and the upload processor
and signing-job recovery (the API processes run them too; claims in the database keep them from colliding)."""

from __future__ import annotations

from fastapi import FastAPI

from contracts.topics import events_topic
from invoice.jobs import run_jobs
from invoice.settings import InvoiceSettings, get_settings
from invoice.taxpayers.handlers import identity_handlers
from kit.worker import ConsumerSpec, create_worker_app, serve

CONSUMERS = [ConsumerSpec("identity-events", [events_topic("identity")], identity_handlers())]


def create_app(settings: InvoiceSettings | None = None) -> FastAPI:
    settings = settings or get_settings()
    return create_worker_app(settings, CONSUMERS, startup=[run_jobs(settings)])


if __name__ == "__main__":
    serve(create_app(), get_settings())
