"""The worker as deployed: its consumer groups read identity's and invoice's topics, and the draft the API serves is
up to date as soon as the events are consumed."""

from __future__ import annotations

from datetime import date

import httpx

from contracts.topics import events_topic
from filing import worker
from filing.settings import FilingSettings
from kit.kafka import make_producer
from kit.testing.events import encode, random_npwp, record_headers
from kit.testing.messaging import eventually
from services.filing.tests.conftest import auth
from services.filing.tests.factories import identity_envelopes, keyed, registered, signed


async def test_the_worker_consumes_identity_and_invoice_events_into_the_draft(api: httpx.AsyncClient,
                                                                             settings: FilingSettings) -> None:
    seller = registered()
    buyer = random_npwp()
    invoice = signed(seller.npwp, buyer=buyer, dpp="4000000", dpp_other="3666667", ppn="440000")
    producer = make_producer(settings.kafka, "test.worker")
    await producer.start()
    try:
        for topic, env in [*((events_topic("identity"), e) for e in
                             identity_envelopes(seller, (True, date(2025, 1, 1)))),
                           (events_topic("invoice"), keyed(invoice))]:
            await (await producer.send(topic, key=env["partition_key"].encode(), value=encode(env),
                                       headers=record_headers(env)))
    finally:
        await producer.stop()

    app = worker.create_app(settings)
    async with app.router.lifespan_context(app):
        async def drafted() -> bool:
            body = (await api.get("/v1/returns/spt-masa-ppn/2026-02", params={"npwp": seller.npwp},
                                  headers=auth(seller.npwp))).json()
            return body["owed"] is True and body["output_ppn_owed"] == "440000"

        await eventually(drafted, timeout=60, what="the worker's consumers applied the events")
