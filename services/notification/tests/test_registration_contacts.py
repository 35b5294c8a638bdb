"""identity's TaxpayerRegistered carries the contacts the taxpayer registered with: the statutory registration notice
is e-mailed at once, not only after a later TaxpayerUpdated. Contacts follow identity's version of the taxpayer (the
envelope's sequence): a TaxpayerUpdated before or after the registration leaves the newest. Through the real broker
and the worker, to the SMTP sandbox."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from contracts.identity import TaxpayerRegistered, TaxpayerUpdated
from kit.testing.events import envelope_for
from kit.testing.messaging import taxpayer_event
from notification.notices import create_notice
from notification.otp import Context
from notification.repository import RecipientRepository
from notification.templating import Catalogue


def registered_with(email: str, phone: str = "081277778888") -> TaxpayerRegistered:
    return TaxpayerRegistered(**{**taxpayer_event(name="Dewi Lestari").model_dump(), "email": email, "phone": phone})


def updated(registered: TaxpayerRegistered, email: str) -> TaxpayerUpdated:
    return TaxpayerUpdated(taxpayer_id=registered.taxpayer_id, npwp=registered.npwp, nitku=registered.nitku,
                           name=registered.name, kind=registered.kind, status="active", email=email,
                           phone=registered.phone, changed=["email"], updated_at=datetime.now(UTC))


async def publish(h, event: Any, *, sequence: int) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    envelope = envelope_for(event, key=event.npwp, sequence=sequence)
    return await h.send(event, key=event.npwp, topic=h.settings.topics.identity_events, envelope=envelope)


async def consumed(h, envelope: dict[str, Any], timeout: float = 15) -> None:  # type: ignore[no-untyped-def]
    """Wait until the worker has applied this event (its id is in the kit inbox)."""
    for _ in range(int(timeout / 0.05)):
        async with h.engine.connect() as conn:
            if (await conn.execute(text("SELECT 1 FROM inbox WHERE event_id = :i"),
                                   {"i": uuid.UUID(str(envelope["id"]))})).first():
                return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{envelope['type']} {envelope['id']} not consumed within {timeout}s")


async def recipient(h, npwp: str) -> tuple[Any, ...]:  # type: ignore[no-untyped-def]
    async with h.sessions() as session:
        row = await RecipientRepository(session).get(npwp)
    assert row is not None
    return row.email, row.phone, row.source_sequence


async def test_registration_notice_is_emailed_to_the_contacts_the_event_carries_once(running) -> None:  # type: ignore[no-untyped-def]
    h = running
    email = h.email()
    registered = registered_with(email)
    first = await publish(h, registered, sequence=1)
    await h.send(registered, key=registered.npwp, topic=h.settings.topics.identity_events, envelope=first)  # redelivered
    last = await publish(h, registered, sequence=1)  # republished under a new event id

    [mail] = await h.received(email)
    assert mail["subject"] == f"Pendaftaran NPWP {registered.npwp} berhasil" and "Yth. Dewi Lestari" in mail["body"]
    await consumed(h, last)
    request = f"taxpayer.registered:{registered.taxpayer_id}"
    [message] = await h.messages(request)
    assert (message["channel"], message["recipient"]) == ("email", email)
    await h.message_in_state(request, "sent")
    assert len(await h.sandbox_messages(email)) == 1
    assert await recipient(h, registered.npwp) == (email, "+6281277778888", 1)


async def test_a_later_taxpayer_updated_wins_and_a_stale_registration_does_not_restore_it(running) -> None:  # type: ignore[no-untyped-def]
    h = running
    old, new = h.email(), h.email()
    registered = registered_with(old)
    await publish(h, registered, sequence=1)
    [mail] = await h.received(old)
    assert mail["subject"] == f"Pendaftaran NPWP {registered.npwp} berhasil"

    await publish(h, updated(registered, new), sequence=2)
    stale = await publish(h, registered, sequence=1)  # the registration again, after the change
    await consumed(h, stale)
    assert await recipient(h, registered.npwp) == (new, "+6281277778888", 2)

    async with h.sessions() as session, session.begin():  # the next notice goes to the newest contact
        assert await create_notice(session, Context(h.settings, Catalogue.load()), notice="password.changed",
                                   taxpayer=registered.npwp, event_id=uuid.uuid4(), params={"at": "06-12-2026 17:00"})
    [changed] = await h.received(new)
    assert changed["subject"] == "Kata sandi akun Lontar Anda telah diubah"
    assert len(await h.sandbox_messages(old)) == 1  # only the registration notice


async def test_a_taxpayer_updated_arriving_first_is_not_undone_by_the_registration(running) -> None:  # type: ignore[no-untyped-def]
    h = running
    old, new = h.email(), h.email()
    registered = registered_with(old)
    await publish(h, updated(registered, new), sequence=2)  # out of order: identity's version 2 first
    await publish(h, registered, sequence=1)

    [mail] = await h.received(new)
    assert mail["subject"] == f"Pendaftaran NPWP {registered.npwp} berhasil"
    request = f"taxpayer.registered:{registered.taxpayer_id}"
    assert [m["recipient"] for m in await h.messages(request)] == [new]
    assert await recipient(h, registered.npwp) == (new, "+6281277778888", 2)
    assert await h.sandbox_messages(old) == []
