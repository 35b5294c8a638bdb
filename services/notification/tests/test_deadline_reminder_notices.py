"""filing's `DeadlineApproaching` becomes the optional notice `deadline.approaching`: one per reminder (d7, d1) however
often it is redelivered or republished, in the taxpayer's language, none once the taxpayer switched reminders off.
The handler is driven directly on the real database, as the consumer calls it."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import text

from contracts.envelope import Envelope
from contracts.filing import DeadlineApproaching
from kit.testing.events import envelope_for, random_npwp
from notification.otp import Context
from notification.repository import PreferenceRepository, RecipientRepository
from notification.tax_notices import filing_handlers
from notification.templating import Catalogue

CATALOGUE = Catalogue.load()


def reminder(npwp: str, name: str, days_left: int) -> DeadlineApproaching:
    return DeadlineApproaching(reminder_id=str(uuid.uuid4()), npwp=npwp, form="spt_masa_ppn", period="2026-11",
                               due_date=date(2026, 12, 31), days_left=days_left, reminder=name,
                               sent_on=date(2026, 12, 18) if name == "d7" else date(2026, 12, 30))


async def deliver(h, events: list[DeadlineApproaching]) -> None:  # type: ignore[no-untyped-def]
    """One fetch: every event under a fresh envelope id (a republished fact looks like this)."""
    handler, batch = filing_handlers(Context(h.settings, CATALOGUE)).get(  # type: ignore[misc]
        Envelope.model_validate(envelope_for(events[0], key=events[0].npwp)))
    assert batch
    async with h.sessions() as session, session.begin():
        await handler(session, [(Envelope.model_validate(envelope_for(e, key=e.npwp)), e) for e in events])


async def inbox(h, npwp: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    async with h.engine.connect() as conn:
        rows = await conn.execute(text("SELECT * FROM inbox_item WHERE taxpayer = :t ORDER BY body"), {"t": npwp})
        return [dict(r) for r in rows.mappings()]


async def mails(h, npwp: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    async with h.engine.connect() as conn:
        rows = await conn.execute(text("SELECT * FROM message WHERE taxpayer = :t"), {"t": npwp})
        return [dict(r) for r in rows.mappings()]


async def test_each_reminder_is_one_notice_in_the_taxpayers_language(harness) -> None:  # type: ignore[no-untyped-def]
    h = harness
    english, indonesian, opted_out = random_npwp(), random_npwp(), random_npwp()
    async with h.sessions() as session, session.begin():
        await RecipientRepository(session).upsert(english, email=h.email(), locale="en")
        await RecipientRepository(session).upsert(indonesian, email=h.email())
        await RecipientRepository(session).upsert(opted_out, email=h.email())
        await PreferenceRepository(session).set(opted_out, "deadline.approaching", False)
    for npwp in (english, indonesian, opted_out):
        d7, d1 = reminder(npwp, "d7", 7), reminder(npwp, "d1", 1)
        await deliver(h, [d7, d7])  # twice in one fetch
        await deliver(h, [d7, d1])  # republished, and the next reminder

    for npwp, locale in ((english, "en"), (indonesian, "id")):
        items = await inbox(h, npwp)
        assert [i["notice"] for i in items] == ["deadline.approaching"] * 2
        assert {i["locale"] for i in items} == {locale} and not any(i["statutory"] for i in items)
        sent = await mails(h, npwp)
        assert sorted(m["subject"] for m in sent) == sorted(i["title"] for i in items)  # one e-mail each
        assert all(m["channel"] == "email" and m["locale"] == locale for m in sent)
    id_items = await inbox(h, indonesian)
    assert {i["title"] for i in id_items} == {
        "Pengingat: SPT Masa PPN Masa Pajak November 2026 jatuh tempo 31 Desember 2026"}
    assert {"Sisa waktu: 7 hari kerja", "Sisa waktu: 1 hari kerja"} == {
        line for i in id_items for line in i["body"].splitlines() if line.startswith("Sisa waktu")}
    en_body = (await inbox(h, english))[0]["body"]
    assert "Return: VAT return (SPT Masa PPN)" in en_body and "Filing deadline: 31 December 2026" in en_body
    assert await inbox(h, opted_out) == [] and await mails(h, opted_out) == []
