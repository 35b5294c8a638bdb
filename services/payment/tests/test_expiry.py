"""Expiry of billing codes on the real database and broker: concurrent expiry passes (as several workers run them)
publish each BillingExpired exactly once, an expired code cannot be paid, and the worker's start-up step does it on
its own, its relay publishing the event."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

from contracts.envelope import Envelope
from contracts.filing import SPTPaymentRequested
from contracts.payment import BillingExpired
from kit.testing.events import envelope_for, random_npwp
from kit.testing.messaging import eventually
from payment import worker
from payment.billing.service import create_spt_billing, expire_due_billing_codes
from payment.settings import BillingSettings, PaymentSettings
from services.payment.tests.conftest import World
from services.payment.tests.factories import taxpayer_token


async def spt_code(world: World, npwp: str, spt_id: str) -> str:
    request = SPTPaymentRequested(spt_id=spt_id, npwp=npwp, form="spt_tahunan_op", period="2025", spt_version=0,
                                  kap_kjs="411125-200", amount="2750000", payment_due_date=date(2026, 4, 30),
                                  requested_at=datetime.now(UTC))
    async with world.sessions() as session, session.begin():
        await create_spt_billing(session, Envelope.model_validate(envelope_for(request, key=npwp)), request)
    return str(await world.scalar("SELECT code FROM billing WHERE spt_id = :s AND status = 'active'", s=spt_id))


async def test_concurrent_expiry_passes_publish_each_expiry_exactly_once(world: World) -> None:
    npwp = random_npwp()
    codes = [(await world.new_code(npwp, amount=str(100_000 + i)))["code"] for i in range(11)]
    spt_id = f"spt-{random_npwp()}"
    codes.append(await spt_code(world, npwp, spt_id))
    still_valid = (await world.new_code(npwp, amount="5"))["code"]
    for code in codes:
        await world.backdate(code)

    # Six passes at a time, two codes per transaction, until nothing is left: what several workers would do.
    while sum(await asyncio.gather(*(expire_due_billing_codes(world.uow(), batch=2) for _ in range(6)))):
        pass

    for code in codes:
        assert await world.scalar("SELECT status || ':' || version FROM billing WHERE code = :c", c=code) == \
            "expired:2"
        [(key, event)] = await world.events("BillingExpired", code=code)
        assert key == npwp and isinstance(event, BillingExpired)
        assert await world.sequences("BillingExpired", code) == [2]
    assert await world.scalar("SELECT status FROM billing WHERE code = :c", c=still_valid) == "active"
    [(_, spt_expired)] = await world.events("BillingExpired", code=codes[-1])
    assert (spt_expired.origin, spt_expired.spt_id, spt_expired.kap_kjs, spt_expired.period) == (  # type: ignore[attr-defined]
        "spt", spt_id, "411125-200", "2025")

    read = await world.http.get(f"/v1/billing-codes/{codes[0]}", headers=taxpayer_token(npwp))
    assert read.json()["status"] == "expired"
    refused = await world.pay(codes[0], "100000", reference=f"LATE-{codes[0]}")
    assert (refused.status_code, refused.json()["code"]) == (409, "confirmation.billing_expired")

    # A new request for the SPT after its code expired gets a new code.
    assert await spt_code(world, npwp, spt_id) != codes[-1]


async def test_a_code_past_its_validity_reads_expired_before_the_worker_marks_it(world: World) -> None:
    npwp = random_npwp()
    code = (await world.new_code(npwp))["code"]
    await world.backdate(code)
    assert (await world.http.get(f"/v1/billing-codes/{code}", headers=taxpayer_token(npwp))).json()["status"] == \
        "expired"
    refused = await world.pay(code, "1500000", reference=f"LATE-{code}")
    assert (refused.status_code, refused.json()["code"]) == (409, "confirmation.billing_expired")
    assert await world.scalar("SELECT status FROM billing WHERE code = :c", c=code) == "active"


async def test_two_running_workers_expire_a_code_once_and_relay_the_event(world: World,
                                                                          settings: PaymentSettings) -> None:
    fast = settings.model_copy(update={"billing": BillingSettings(expiry_interval_s=0.05, expiry_batch=1)})
    code = (await world.new_code())["code"]
    await world.backdate(code)
    first, second = worker.create_app(fast, consumers=()), worker.create_app(fast, consumers=())
    async with first.router.lifespan_context(first), second.router.lifespan_context(second):
        async def expired() -> bool:
            return await world.scalar("SELECT status FROM billing WHERE code = :c", c=code) == "expired"

        async def relayed() -> bool:
            return bool(await world.scalar(
                "SELECT bool_and(published_at IS NOT NULL) FROM outbox WHERE event_type = 'BillingExpired' "
                "AND payload->'data'->>'billing_code' = :c", c=code))

        await eventually(expired, timeout=30, what="the code expired by a worker")
        await eventually(relayed, timeout=30, what="BillingExpired published by the relay")
    assert len(await world.events("BillingExpired", code=code)) == 1
