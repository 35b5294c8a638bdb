"""Notices from domain events: templates in the recipient's language, the inbox (cursor pagination, unread count,
mark read), preferences (non-statutory notices can be switched off, statutory ones cannot), e-mail when a contact is
known, once per event however often it is delivered."""

from __future__ import annotations

import uuid

from kit.auth import JWKSCache
from kit.testing.events import envelope_for, random_npwp
from kit.testing.messaging import taxpayer_event
from kit.testing.service import api_client
from notification.main import create_app
from notification.notices import create_notice
from notification.otp import Context
from notification.repository import RecipientRepository
from notification.templating import Catalogue


def _app(h):  # type: ignore[no-untyped-def]
    return create_app(h.settings, jwks=JWKSCache(h.settings.auth, keys=h.tokens.jwks()))


def _bearer(h, *npwps: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"authorization": f"Bearer {h.tokens.make(taxpayer_ids=npwps)}"}


async def _notice(h, npwp: str, notice: str = "login.new_device", **params: str) -> bool:  # type: ignore[no-untyped-def]
    ctx = Context(h.settings, Catalogue.load())
    values = {"at": "22-11-2026 10:15", "device": "Firefox, Linux", "location": "Jakarta"} | params
    async with h.sessions() as session, session.begin():
        return await create_notice(session, ctx, notice=notice, taxpayer=npwp, event_id=uuid.uuid4(), params=values)


async def test_registration_notice_lands_in_the_inbox_and_by_email_in_the_chosen_language(running) -> None:  # type: ignore[no-untyped-def]
    h = running
    registered = taxpayer_event(name="CV Maju Jaya")
    email = h.email()
    async with h.sessions() as session, session.begin():
        await RecipientRepository(session).upsert(registered.npwp, email=email, locale="en")
    envelope = envelope_for(registered, key=registered.npwp)
    for _ in range(2):  # redelivered: one notice
        await h.send(registered, key=registered.npwp, topic=h.settings.topics.identity_events, envelope=envelope)
    replay = envelope_for(registered, key=registered.npwp)  # the same fact again under a new event id: still one
    await h.send(registered, key=registered.npwp, topic=h.settings.topics.identity_events, envelope=replay)

    [mail] = await h.received(email)
    assert mail["subject"] == f"Tax registration {registered.npwp} completed"
    assert "Dear CV Maju Jaya" in mail["body"] and registered.nitku in mail["body"]
    async with api_client(_app(h)) as http:
        inbox = (await http.get("/v1/inbox", headers=_bearer(h, registered.npwp))).json()
    [item] = inbox["items"]
    assert item["notice"] == "taxpayer.registered" and item["statutory"] and item["locale"] == "en"
    assert item["title"] == mail["subject"] and inbox["unread_count"] == 1 and inbox["next_cursor"] is None
    await h.message_in_state(f"taxpayer.registered:{registered.taxpayer_id}", "sent")
    assert len(await h.sandbox_messages(email)) == 1


async def test_without_a_contact_the_notice_goes_to_the_inbox_only_in_bahasa_indonesia(running) -> None:  # type: ignore[no-untyped-def]
    h = running
    registered = taxpayer_event(name="Budi Santoso")
    await h.send(registered, key=registered.npwp, topic=h.settings.topics.identity_events)
    async with api_client(_app(h)) as http:
        for _ in range(100):
            inbox = (await http.get("/v1/inbox", headers=_bearer(h, registered.npwp))).json()
            if inbox["items"]:
                break
            await __import__("asyncio").sleep(0.1)
    [item] = inbox["items"]
    assert item["title"] == f"Pendaftaran NPWP {registered.npwp} berhasil" and "Yth. Budi Santoso" in item["body"]
    assert await h.messages(f"taxpayer.registered:{registered.taxpayer_id}") == []


async def test_inbox_pages_by_cursor_counts_unread_and_marks_read(harness) -> None:  # type: ignore[no-untyped-def]
    h = harness
    npwp, other = random_npwp(), random_npwp()
    for i in range(5):
        assert await _notice(h, npwp, device=f"device {i}")
    await _notice(h, other)
    async with api_client(_app(h)) as http:
        auth = _bearer(h, npwp)
        first = (await http.get("/v1/inbox", params={"limit": 2}, headers=auth)).json()
        second = (await http.get("/v1/inbox", params={"limit": 2, "cursor": first["next_cursor"]}, headers=auth)).json()
        third = (await http.get("/v1/inbox", params={"limit": 2, "cursor": second["next_cursor"]}, headers=auth)).json()
        items = first["items"] + second["items"] + third["items"]
        assert [i["body"].split("Perangkat: ")[1].split("\n")[0] for i in items] == \
            [f"device {i}" for i in (4, 3, 2, 1, 0)]  # newest first, each once
        assert third["next_cursor"] is None and first["unread_count"] == 5

        read = await http.post(f"/v1/inbox/{items[0]['id']}/read", headers=auth)
        again = await http.post(f"/v1/inbox/{items[0]['id']}/read", headers=auth)
        assert read.status_code == 200 and read.json()["read_at"] is not None
        assert again.json()["read_at"] == read.json()["read_at"]
        page = (await http.get("/v1/inbox", headers=auth)).json()
        assert page["unread_count"] == 4
        unread = (await http.get("/v1/inbox", params={"unread_only": "true"}, headers=auth)).json()
        assert len(unread["items"]) == 4

        others = (await http.get("/v1/inbox", headers=_bearer(h, other))).json()
        stranger = await http.post(f"/v1/inbox/{others['items'][0]['id']}/read", headers=auth)
        assert stranger.status_code == 404 and stranger.json()["code"] == "inbox.item_not_found"
        anonymous = await http.get("/v1/inbox")
        assert anonymous.status_code == 401
        forbidden = await http.get("/v1/inbox", params={"taxpayer": other}, headers=auth)
        assert forbidden.status_code == 403 and forbidden.json()["code"] == "auth.taxpayer_forbidden"
        ambiguous = await http.get("/v1/inbox", headers=_bearer(h, npwp, other))
        assert ambiguous.status_code == 400 and ambiguous.json()["code"] == "taxpayer.ambiguous"
        bad_cursor = await http.get("/v1/inbox", params={"cursor": "not-a-cursor"}, headers=auth)
        assert bad_cursor.status_code == 400 and bad_cursor.json()["code"] == "pagination.invalid_cursor"


async def test_preferences_switch_off_non_statutory_notices_only(running) -> None:  # type: ignore[no-untyped-def]
    h = running
    npwp, email = random_npwp(), h.email()
    async with h.sessions() as session, session.begin():
        await RecipientRepository(session).upsert(npwp, email=email)
    async with api_client(_app(h)) as http:
        auth = _bearer(h, npwp)
        defaults = (await http.get("/v1/preferences", headers=auth)).json()
        assert defaults["locale"] == "id"
        assert {n["notice"]: (n["statutory"], n["enabled"]) for n in defaults["notices"]} == {
            "login.new_device": (False, True), "password.changed": (True, True), "role.granted": (False, True),
            "taxpayer.registered": (True, True), "billing.created": (False, True), "deposit.credited": (False, True),
            "deadline.approaching": (False, True), "billing.expiring": (False, True), "instalment.due": (False, True),
            **{n: (True, True) for n in ("spt.submitted", "spt.corrected", "stp.issued", "skp.issued",
                                         "kswp.issued", "payment.confirmed", "debt.recorded", "instalment.granted",
                                         "phtb.validated", "skb.issued", "skb.rejected", "warning.issued")}}
        refused = await http.put("/v1/preferences", json={"notices": {"taxpayer.registered": False}}, headers=auth)
        assert refused.status_code == 409 and refused.json()["code"] == "preferences.statutory_notice"
        unknown = await http.put("/v1/preferences", json={"notices": {"nope": False}}, headers=auth)
        assert unknown.status_code == 422 and unknown.json()["code"] == "preferences.unknown_notice"
        changed = await http.put("/v1/preferences", json={"locale": "en", "notices": {"login.new_device": False}},
                                 headers=auth)
        assert changed.status_code == 200 and changed.json()["locale"] == "en"
        assert not next(n for n in changed.json()["notices"] if n["notice"] == "login.new_device")["enabled"]

        assert await _notice(h, npwp, "login.new_device") is False  # switched off: no inbox item, no e-mail
        assert await _notice(h, npwp, "password.changed", at="22-11-2026 10:20") is True  # statutory: always
        [mail] = await h.received(email)
        assert mail["subject"] == "Your Lontar password was changed"  # in the language just chosen
        inbox = (await http.get("/v1/inbox", headers=auth)).json()
        assert [i["notice"] for i in inbox["items"]] == ["password.changed"]


async def test_an_unknown_notice_template_is_refused_and_counted(harness) -> None:  # type: ignore[no-untyped-def]
    h = harness
    before = h.metric("notification_rejected_total", kind="notice", reason="unknown_template")
    assert await _notice(h, random_npwp(), "no.such.notice") is False
    assert h.metric("notification_rejected_total", kind="notice", reason="unknown_template") == before + 1


async def test_contacts_come_from_identity_taxpayer_updated(running) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from contracts.identity import TaxpayerUpdated

    h = running
    registered = taxpayer_event()
    email = h.email()
    updated = TaxpayerUpdated(taxpayer_id=registered.taxpayer_id, npwp=registered.npwp, nitku=registered.nitku,
                              name=registered.name, kind="individual", status="active", email=email.upper(),
                              phone="0812-1111-2222", changed=["email", "phone"], updated_at=datetime.now(UTC))
    await h.send(updated, key=registered.npwp, topic=h.settings.topics.identity_events)
    await h.send(registered, key=registered.npwp, topic=h.settings.topics.identity_events)
    [mail] = await h.received(email.split("@")[0].upper() + "@example.co.id")
    assert mail["subject"] == f"Pendaftaran NPWP {registered.npwp} berhasil"
    async with h.sessions() as session:
        recipient = await RecipientRepository(session).get(registered.npwp)
    assert recipient is not None and recipient.phone == "+6281211112222"
