"""Reminders on the real database and broker: a code about to expire and an instalment about to fall due are each
announced exactly once, however often the pass runs and however many workers run it at once; a pass after an outage
catches up on what can still be acted on and never on a moment that has passed; a running worker sends them and its
relay publishes them."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from typing import Any

from contracts.payment import BillingExpiryApproaching, InstalmentDueApproaching
from kit.clock import Clock, FixedClock
from kit.testing.events import random_npwp
from kit.testing.messaging import eventually
from payment import worker
from payment.instalments.service import accelerate_missed
from payment.reminders.service import send_billing_reminders, send_reminders
from payment.settings import PaymentSettings
from services.payment.tests.conftest import World
from services.payment.tests.factories import taxpayer_token
from services.payment.tests.helpers_debts import record_stp
from services.payment.tests.test_instalments import apply, decide, instalment_code, pay


async def expiring_in(world: World, npwp: str, left: timedelta, **body: Any) -> str:
    """A mandiri code of `npwp` whose expiry is `left` from now."""
    code = (await world.new_code(npwp, **body))["code"]
    await world.execute("UPDATE billing SET expires_at = now() + CAST(:d AS interval) WHERE code = :c", c=code, d=left)
    return code  # type: ignore[no-any-return]


async def reminded_codes(world: World, npwp: str) -> list[str]:
    return sorted(e.billing_code for _, e in await world.events("BillingExpiryApproaching", npwp=npwp))  # type: ignore[attr-defined]


async def instalment_reminders(world: World, npwp: str) -> list[InstalmentDueApproaching]:
    found = [e for _, e in await world.events("InstalmentDueApproaching", npwp=npwp)]
    assert all(isinstance(e, InstalmentDueApproaching) for e in found)
    return sorted(found, key=lambda e: (e.debt_id, e.number))  # type: ignore[attr-defined]


async def test_codes_about_to_expire_are_reminded_of_once_while_they_can_still_be_paid(world: World) -> None:
    npwp = random_npwp()
    soon = await expiring_in(world, npwp, timedelta(hours=23), amount="111")
    caught_up = await expiring_in(world, npwp, timedelta(hours=2), amount="112")  # the worker was down for 22 hours
    too_late = await expiring_in(world, npwp, timedelta(minutes=30), amount="113")
    passed = await expiring_in(world, npwp, -timedelta(hours=3), amount="114")  # expired, not marked yet
    fresh = await expiring_in(world, npwp, timedelta(days=3), amount="115")
    paid = await expiring_in(world, npwp, timedelta(hours=12), amount="116")
    assert (await world.pay(paid, "116", reference=f"R-{paid}")).status_code == 201

    # Four passes at once, a code per transaction, as several workers would run them; then again.
    await asyncio.gather(*(send_reminders(world.uow(), Clock(), batch=1) for _ in range(4)))
    await send_reminders(world.uow(), Clock(), batch=1000)

    assert await reminded_codes(world, npwp) == sorted([soon, caught_up])
    for code in (soon, caught_up):
        [(key, event)] = await world.events("BillingExpiryApproaching", code=code)
        assert key == npwp and isinstance(event, BillingExpiryApproaching)
        read = (await world.http.get(f"/v1/billing-codes/{code}", headers=taxpayer_token(npwp))).json()
        assert (event.amount, event.kap_kjs, event.period, event.origin, event.expires_at) == (
            read["amount"], read["kap_kjs"], read["period"], "mandiri", datetime.fromisoformat(read["expires_at"]))
    assert await world.scalar("SELECT count(*) FROM billing_reminder WHERE npwp = :n", n=npwp) == 2
    assert {too_late, passed, fresh, paid}.isdisjoint(await reminded_codes(world, npwp))

    # A day later the fresh code's window has come: reminded then, the others never again.
    assert await send_billing_reminders(world.uow(), now=Clock().now() + timedelta(days=2, hours=1), batch=1000) >= 1
    assert await reminded_codes(world, npwp) == sorted([soon, caught_up, fresh])


async def test_instalments_about_to_fall_due_are_reminded_of_once_and_never_after_their_due_date(
        world: World, kmk_months_published: object) -> None:  # debts due in December 2026: its KMK rates
    npwp = random_npwp()
    debt_a = await record_stp(world, npwp, amount="900000", issued_on=date(2026, 11, 2), due_date=date(2026, 12, 2))
    a = (await apply(world, npwp, debt_id=debt_a["id"], kind="instalment", instalments=3,
                     first_due_date="2027-01-02")).json()
    schedule_a = (await decide(world, a["id"], decision="approve")).json()["schedule"]
    debt_b = await record_stp(world, npwp, amount="400000", issued_on=date(2026, 11, 2), due_date=date(2026, 12, 2))
    b = (await apply(world, npwp, debt_id=debt_b["id"], kind="instalment", instalments=2,
                     first_due_date="2027-01-05")).json()
    assert (await decide(world, b["id"], decision="approve")).status_code == 201
    b1 = (await instalment_code(world, npwp, b["id"], 1)).json()
    await world.execute("UPDATE billing SET expires_at = '2027-01-12T00:00:00+07:00' WHERE code = :c", c=b1["code"])

    async def on(day: date, passes: int = 1) -> None:
        await asyncio.gather(*(send_reminders(world.uow(), FixedClock(day), batch=1) for _ in range(passes)))

    await on(date(2026, 12, 29))  # A1 is 4 days ahead: not yet
    assert await instalment_reminders(world, npwp) == []
    await on(date(2026, 12, 31), passes=3)  # the worker was down on the 30th: caught up, once
    [a1] = await instalment_reminders(world, npwp)
    assert (a1.debt_id, a1.arrangement_id, a1.number, a1.instalments, a1.due_date, a1.days_left, a1.total,
            a1.billing_code, a1.kap_kjs, a1.sent_on) == (
        debt_a["id"], a["id"], 1, 3, date(2027, 1, 2), 2, schedule_a[0]["total"], None, "411211-300",
        date(2026, 12, 31))
    await on(date(2027, 1, 2), passes=2)  # A1's due date (B1 is 3 days ahead, and its code is payable)
    reminders = await instalment_reminders(world, npwp)
    assert [(r.debt_id, r.number, r.days_left, r.billing_code) for r in reminders] == sorted([
        (debt_a["id"], 1, 2, None), (debt_b["id"], 1, 3, b1["code"])])

    # A1 was not paid: on 31 Jan A2 is 2 days ahead, but the schedule is falling due whole, so no reminder.
    await on(date(2027, 1, 31))
    assert len(await instalment_reminders(world, npwp)) == 2
    await pay(world, b1)
    await accelerate_missed(world.uow(), batch=1000, today=date(2027, 1, 3))  # A: the remainder fell due
    await on(date(2027, 1, 31))  # A2 cancelled; B2 (due 5 Feb) not yet
    await on(date(2027, 2, 6))  # B2's due date passed while the worker was down: never announced
    assert len(await instalment_reminders(world, npwp)) == 2
    await on(date(2027, 2, 3))  # B2 is 2 days ahead
    reminders = await instalment_reminders(world, npwp)
    assert [(r.debt_id, r.number, r.days_left) for r in reminders] == sorted([
        (debt_a["id"], 1, 2), (debt_b["id"], 1, 3), (debt_b["id"], 2, 2)])
    assert await world.scalar("SELECT count(*) FROM instalment_reminder WHERE npwp = :n", n=npwp) == 3


async def test_a_running_worker_sends_a_reminder_once_and_its_relay_publishes_it(world: World,
                                                                                 settings: PaymentSettings) -> None:
    npwp = random_npwp()
    code = await expiring_in(world, npwp, timedelta(hours=20), amount="4321")
    first, second = worker.create_app(settings, consumers=()), worker.create_app(settings, consumers=())
    async with first.router.lifespan_context(first), second.router.lifespan_context(second):
        async def relayed() -> bool:
            return bool(await world.scalar(
                "SELECT bool_and(published_at IS NOT NULL) FROM outbox WHERE event_type = 'BillingExpiryApproaching' "
                "AND payload->'data'->>'billing_code' = :c", c=code))

        await eventually(relayed, timeout=30, what="BillingExpiryApproaching sent by a worker and relayed")
    assert await reminded_codes(world, npwp) == [code]
