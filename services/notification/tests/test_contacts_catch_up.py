"""A notice made before the taxpayer's contacts were known (identity's events lag behind filing's and payment's: its
worker was down, the broker was away, a consumer restarted) is sent when they arrive, if it is recent, once per
channel, as it would have been sent then: statutory or not switched off, in the recipient's language; a contact that
replaces another does not resend. Through the real broker, worker and sandboxes, and driven directly on the real
database for the rules and for contacts and notices written at the same moment."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from contracts.envelope import Envelope
from contracts.filing import SPTSubmitted
from contracts.identity import TaxpayerRegistered, TaxpayerUpdated
from contracts.payment import PaymentConfirmed
from kit.auth import JWKSCache
from kit.testing.events import envelope_for, random_npwp
from kit.testing.messaging import taxpayer_event
from kit.testing.service import api_client
from notification.main import create_app
from notification.notices import catch_up, create_notice, identity_handlers
from notification.otp import Context
from notification.repository import PreferenceRepository, RecipientRepository
from notification.templating import PACKAGED, Catalogue

CATALOGUE = Catalogue.load()
PHONE = "081277778888"


def registered(npwp: str | None = None, *, email: str | None = None,
               phone: str | None = None) -> TaxpayerRegistered:
    event = taxpayer_event(npwp, name="Dewi Lestari")
    return TaxpayerRegistered(**{**event.model_dump(), "email": email, "phone": phone})


def updated(event: TaxpayerRegistered, *, email: str | None, phone: str | None) -> TaxpayerUpdated:
    return TaxpayerUpdated(taxpayer_id=event.taxpayer_id, npwp=event.npwp, nitku=event.nitku, name=event.name,
                           kind=event.kind, status="active", email=email, phone=phone, changed=["email", "phone"],
                           updated_at=datetime.now(UTC))


async def eventually(check: Callable[[], Awaitable[Any]], what: str, timeout: float = 15) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := await check():
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"{what} not within {timeout}s")


async def rows(h, sql: str, **params: Any) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    async with h.engine.connect() as conn:
        return [dict(r) for r in (await conn.execute(text(sql), params)).mappings()]


async def messages_of(h, npwp: str) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    """(template, channel, recipient) of the taxpayer's notice messages."""
    found = await rows(h, "SELECT template, channel, recipient FROM message WHERE taxpayer = :t "
                          "ORDER BY template, channel", t=npwp)
    return [(m["template"], m["channel"], m["recipient"]) for m in found]


async def identity_event(h, ctx: Context, event: TaxpayerRegistered | TaxpayerUpdated, *,  # type: ignore[no-untyped-def]
                         sequence: int) -> None:
    """As notification's identity consumer applies it, in its own transaction."""
    envelope = Envelope.model_validate(envelope_for(event, key=event.npwp, sequence=sequence))
    found = identity_handlers(ctx).get(envelope)
    assert found is not None
    handler, batch = found
    async with h.sessions() as session, session.begin():
        if batch:
            await handler(session, [(envelope, event)])  # type: ignore[call-arg]
        else:
            await handler(session, envelope, event)  # type: ignore[call-arg]


async def notice(h, ctx: Context, npwp: str, name: str = "password.changed", **params: str) -> str:  # type: ignore[no-untyped-def]
    """A notice made in its own transaction; its source key."""
    values = {"at": "06-12-2026 17:00", "device": "Firefox, Linux", "location": "Jakarta"} | params
    event_id = uuid.uuid4()
    async with h.sessions() as session, session.begin():
        assert await create_notice(session, ctx, notice=name, taxpayer=npwp, event_id=event_id, params=values)
    return f"{name}:{event_id}"


# -- through the broker, the worker and the sandboxes ------------------------------------------------------------

async def test_receipts_made_before_the_registration_are_emailed_once_it_arrives(running, make_tax_events) -> None:  # type: ignore[no-untyped-def]
    h = running
    email = h.email()
    registration = registered(email=email, phone=PHONE)
    npwp = registration.npwp
    facts = [e for e in make_tax_events(npwp) if isinstance(e, SPTSubmitted | PaymentConfirmed)]
    for fact in facts:  # filing's and payment's facts first: identity's consumer lags
        topic = h.settings.topics.filing_events if isinstance(fact, SPTSubmitted) else h.settings.topics.payment_events
        await h.send(fact, key=npwp, topic=topic)
    await eventually(lambda: rows(h, "SELECT 1 FROM inbox_item WHERE taxpayer = :t HAVING count(*) = 2", t=npwp),
                     "the two notices in the inbox")
    assert await messages_of(h, npwp) == []  # no contact yet: the inbox only

    first = envelope_for(registration, key=npwp, sequence=1)
    await h.send(registration, key=npwp, topic=h.settings.topics.identity_events, envelope=first)
    mails = await h.received(email, at_least=3)
    subjects = sorted(m["subject"].split(" ")[0] for m in mails)
    assert subjects == ["BPE", "Pembayaran", "Pendaftaran"]  # the receipt, the payment, the registration
    expected = [("payment.confirmed", "email", email), ("spt.submitted", "email", email),
                ("taxpayer.registered", "email", email)]
    assert await messages_of(h, npwp) == expected  # these templates have no SMS channel: e-mail only

    # delivered again, and republished under a new event id: nothing more
    await h.send(registration, key=npwp, topic=h.settings.topics.identity_events, envelope=first)
    again = envelope_for(registration, key=npwp, sequence=1)
    await h.send(registration, key=npwp, topic=h.settings.topics.identity_events, envelope=again)
    await eventually(lambda: rows(h, "SELECT 1 FROM inbox WHERE event_id = :i", i=uuid.UUID(str(again["id"]))),
                     "the republished registration consumed")
    for source in [r["source_event_id"] for r in await rows(h, "SELECT source_event_id FROM inbox_item "
                                                               "WHERE taxpayer = :t", t=npwp)]:
        await h.message_in_state(source, "sent", "delivered")
    assert await messages_of(h, npwp) == expected
    assert len(await h.sandbox_messages(email)) == 3


async def test_a_registration_notice_made_without_contacts_is_emailed_when_they_come(running) -> None:  # type: ignore[no-untyped-def]
    h = running
    email = h.email()
    registration = registered()  # published before identity's events carried contacts
    await h.send(registration, key=registration.npwp, topic=h.settings.topics.identity_events,
                 envelope=envelope_for(registration, key=registration.npwp, sequence=1))
    source = f"taxpayer.registered:{registration.taxpayer_id}"
    await eventually(lambda: rows(h, "SELECT 1 FROM inbox_item WHERE source_event_id = :s", s=source), "the notice")

    update = updated(registration, email=email, phone=h.phone())
    await h.send(update, key=registration.npwp, topic=h.settings.topics.identity_events,
                 envelope=envelope_for(update, key=registration.npwp, sequence=2))
    [mail] = await h.received(email)
    assert mail["subject"] == f"Pendaftaran NPWP {registration.npwp} berhasil"
    await h.message_in_state(source, "sent", "delivered")
    assert [m["channel"] for m in await h.messages(source)] == ["email"]


async def test_a_contact_set_by_hand_gets_the_recent_notices_too(harness) -> None:  # type: ignore[no-untyped-def]
    h = harness
    ctx = Context(h.settings, CATALOGUE)
    npwp, email = random_npwp(), h.email()
    source = await notice(h, ctx, npwp)
    app = create_app(h.settings, jwks=JWKSCache(h.settings.auth, keys=h.tokens.jwks()))
    async with api_client(app) as http:
        answer = await http.put(f"/internal/v1/recipients/{npwp}", json={"email": email, "locale": "en"},
                                headers=h.tokens.service_headers("notification:recipients"))
    assert answer.status_code == 200, answer.text
    [message] = await h.messages(source)
    assert (message["channel"], message["recipient"], message["locale"]) == ("email", email, "en")
    assert message["subject"] == "Your Lontar password was changed"


# -- the rules, on the real database ------------------------------------------------------------------------------

async def test_only_recent_notices_not_switched_off_are_sent_and_a_changed_contact_gets_nothing_again(harness) -> None:  # type: ignore[no-untyped-def]
    h = harness
    ctx = Context(h.settings, CATALOGUE)
    first, second = h.email(), h.email()
    registration = registered()
    npwp = registration.npwp
    await identity_event(h, ctx, registration, sequence=1)  # no contacts: the registration notice waits
    old = await notice(h, ctx, npwp)
    async with h.engine.begin() as conn:  # made eight days ago: beyond the catch-up window (7 days)
        await conn.execute(text("UPDATE inbox_item SET created_at = now() - interval '8 days' "
                                "WHERE source_event_id = :s"), {"s": old})
    recent = await notice(h, ctx, npwp)
    switched_off = await notice(h, ctx, npwp, "login.new_device")
    async with h.sessions() as session, session.begin():  # switched off after it reached the inbox
        await PreferenceRepository(session).set(npwp, "login.new_device", False)

    await identity_event(h, ctx, updated(registration, email=first, phone=None), sequence=2)
    assert await messages_of(h, npwp) == [("password.changed", "email", first),
                                          ("taxpayer.registered", "email", first)]
    assert await h.messages(old) == [] and await h.messages(switched_off) == []
    assert [m["request_id"] for m in await h.messages(recent)] == [recent]

    # the same contacts again (a replay) and a new address: nothing is sent again
    await identity_event(h, ctx, updated(registration, email=first, phone=None), sequence=2)
    await identity_event(h, ctx, updated(registration, email=second, phone=None), sequence=3)
    assert [r for _, _, r in await messages_of(h, npwp)] == [first, first]
    later = await notice(h, ctx, npwp)  # what comes next goes to the new address
    assert [m["recipient"] for m in await h.messages(later)] == [second]


@pytest.fixture
def sms_catalogue(tmp_path: Path) -> Catalogue:
    """The packaged templates, the registration notice also by SMS (its template has the SMS text)."""
    for path in PACKAGED.glob("*.json"):
        raw = json.loads(path.read_text(encoding="utf-8"))
        if raw["name"] == "taxpayer.registered":
            raw["channels"] = [*raw["channels"], "sms"]
        (tmp_path / path.name).write_text(json.dumps(raw), encoding="utf-8")
    return Catalogue.load(tmp_path)


async def test_a_notice_with_an_sms_text_is_smsed_when_a_phone_comes_and_others_are_not(harness, sms_catalogue) -> None:  # type: ignore[no-untyped-def]
    h = harness
    ctx = Context(h.settings, sms_catalogue)
    email = h.email()
    registration = registered(email=email)
    await identity_event(h, ctx, registration, sequence=1)  # e-mailed at once; no phone for the SMS
    receipt = await notice(h, ctx, registration.npwp)  # password.changed: no SMS text
    await identity_event(h, ctx, updated(registration, email=email, phone=PHONE), sequence=2)
    assert await messages_of(h, registration.npwp) == [
        ("password.changed", "email", email), ("taxpayer.registered", "email", email),
        ("taxpayer.registered", "sms", "+6281277778888")]
    assert [m["channel"] for m in await h.messages(receipt)] == ["email"]
    sent = await h.messages(f"taxpayer.registered:{registration.taxpayer_id}")
    [sms] = [m for m in sent if m["channel"] == "sms"]
    assert registration.npwp in sms["body"] and sms["subject"] is None


async def test_a_new_taxpayer_with_both_contacts_gets_the_waiting_notices_on_each_channel(harness, sms_catalogue) -> None:  # type: ignore[no-untyped-def]
    h = harness
    ctx = Context(h.settings, sms_catalogue)
    email = h.email()
    registration = registered()
    await identity_event(h, ctx, registration, sequence=1)  # no contacts
    await identity_event(h, ctx, updated(registration, email=email, phone=PHONE), sequence=2)
    assert await messages_of(h, registration.npwp) == [
        ("taxpayer.registered", "email", email), ("taxpayer.registered", "sms", "+6281277778888")]


async def test_catching_up_twice_queues_each_message_once(harness) -> None:  # type: ignore[no-untyped-def]
    h = harness
    ctx = Context(h.settings, CATALOGUE)
    npwp, email = random_npwp(), h.email()
    sources = [await notice(h, ctx, npwp) for _ in range(3)]
    async with h.sessions() as session, session.begin():
        await RecipientRepository(session).upsert(npwp, email=email)
    queued = []
    for _ in range(2):
        async with h.sessions() as session, session.begin():
            queued.append(await catch_up(session, ctx, [(npwp, "email"), (npwp, "sms")]))
    assert queued == [3, 0]
    assert sorted(m["request_id"] for m in await rows(h, "SELECT request_id FROM message WHERE taxpayer = :t",
                                                         t=npwp)) == sorted(sources)


async def test_a_window_of_zero_days_sends_nothing_late(harness) -> None:  # type: ignore[no-untyped-def]
    h = harness
    settings = h.settings.model_copy(update={"notices": h.settings.notices.model_copy(update={"catch_up_days": 0})})
    ctx = Context(settings, CATALOGUE)
    registration = registered()
    await identity_event(h, ctx, registration, sequence=1)
    await notice(h, ctx, registration.npwp)
    await identity_event(h, ctx, updated(registration, email=h.email(), phone=PHONE), sequence=2)
    assert await messages_of(h, registration.npwp) == []


# -- a notice and the contacts written at the same moment ---------------------------------------------------------

async def _waits_for(h, pid: int, other: asyncio.Task[None]) -> None:  # type: ignore[no-untyped-def]
    """Until `other` waits for a lock the session `pid` holds (or, were nothing held, has finished)."""
    async def waiting() -> bool:
        return other.done() or bool(await rows(
            h, "SELECT 1 FROM pg_stat_activity WHERE :p = ANY(pg_blocking_pids(pid))", p=pid))
    await eventually(waiting, "the other transaction")


async def test_contacts_recorded_while_a_notice_is_being_made_wait_for_it_and_send_it(harness) -> None:  # type: ignore[no-untyped-def]
    h = harness
    ctx = Context(h.settings, CATALOGUE)
    email = h.email()
    registration = registered(email=email)
    event_id = uuid.uuid4()
    async with h.sessions() as session:
        async with session.begin():
            pid = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
            assert await create_notice(session, ctx, notice="password.changed", taxpayer=registration.npwp,
                                       event_id=event_id, params={"at": "06-12-2026 17:00"})
            contacts = asyncio.create_task(identity_event(h, ctx, registration, sequence=1))
            await _waits_for(h, pid, contacts)  # the registration waits for the notice's transaction
        await contacts
    assert [m["recipient"] for m in await h.messages(f"password.changed:{event_id}")] == [email]


async def test_a_notice_made_while_contacts_are_being_recorded_waits_and_reads_them(harness) -> None:  # type: ignore[no-untyped-def]
    h = harness
    ctx = Context(h.settings, CATALOGUE)
    email = h.email()
    registration = registered(email=email)
    event_id = uuid.uuid4()

    async def make_notice() -> None:
        async with h.sessions() as other, other.begin():
            await create_notice(other, ctx, notice="password.changed", taxpayer=registration.npwp,
                                event_id=event_id, params={"at": "06-12-2026 17:00"})

    envelope = Envelope.model_validate(envelope_for(registration, key=registration.npwp, sequence=1))
    handler, _batch = identity_handlers(ctx).get(envelope)  # type: ignore[misc]
    async with h.sessions() as session:
        async with session.begin():
            pid = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
            await handler(session, [(envelope, registration)])  # type: ignore[call-arg]
            made = asyncio.create_task(make_notice())
            await _waits_for(h, pid, made)  # the notice waits for the contacts' transaction
        await made
    assert [m["recipient"] for m in await h.messages(f"password.changed:{event_id}")] == [email]
