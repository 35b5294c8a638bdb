"""filing's `WrittenWarningIssued` (a Surat Teguran an officer recorded) becomes the statutory notice `warning.issued`:
the letter's number and date, the return it is about, and the day after which a lebih bayar return of that period is
considered not filed (UU KUP Art 3(7)(c)). One per letter however often the event is redelivered or republished, in
the taxpayer's language, and switching notices off does not stop it. The handler is driven directly on the real
database, as the consumer calls it; one case goes through the real broker, consumer group, inbox, dispatcher and SMTP
sandbox."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import text

from contracts.envelope import Envelope
from contracts.filing import WrittenWarningIssued
from kit.testing.events import envelope_for, random_npwp
from notification.otp import Context
from notification.repository import PreferenceRepository, RecipientRepository
from notification.tax_notices import filing_handlers
from notification.templating import Catalogue

CATALOGUE = Catalogue.load()
RECORDED = datetime(2025, 6, 2, 3, 30, tzinfo=UTC)


def masa_warning(npwp: str) -> WrittenWarningIssued:
    return WrittenWarningIssued(warning_id=str(uuid.uuid4()), letter_number="ST-00123/WPJ.04/KP.0103/2025",
                                npwp=npwp, form="spt_masa_ppn", period="2023-03", issued_on=date(2025, 6, 2),
                                overpayment_filing_limit=date(2026, 3, 31), recorded_at=RECORDED,
                                officer_account_id="console-kpp-001")


def annual_warning(npwp: str) -> WrittenWarningIssued:
    return WrittenWarningIssued(warning_id=str(uuid.uuid4()), letter_number="ST-00456/WPJ.04/KP.0103/2026",
                                npwp=npwp, form="spt_tahunan_op", period="2022", issued_on=date(2026, 4, 15),
                                overpayment_filing_limit=date(2025, 12, 31), recorded_at=RECORDED,
                                officer_account_id="console-kpp-001")


async def deliver(h, events: list[WrittenWarningIssued]) -> None:  # type: ignore[no-untyped-def]
    """One fetch: every event under a fresh envelope id (a republished fact looks like this)."""
    handler, batch = filing_handlers(Context(h.settings, CATALOGUE)).get(  # type: ignore[misc]
        Envelope.model_validate(envelope_for(events[0], key=events[0].npwp)))
    assert batch
    async with h.sessions() as session, session.begin():
        await handler(session, [(Envelope.model_validate(envelope_for(e, key=e.npwp)), e) for e in events])


async def inbox(h, npwp: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    async with h.engine.connect() as conn:
        rows = await conn.execute(text("SELECT * FROM inbox_item WHERE taxpayer = :t ORDER BY title"), {"t": npwp})
        return [dict(r) for r in rows.mappings()]


async def mails(h, npwp: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    async with h.engine.connect() as conn:
        rows = await conn.execute(text("SELECT * FROM message WHERE taxpayer = :t ORDER BY subject"), {"t": npwp})
        return [dict(r) for r in rows.mappings()]


async def test_each_warning_is_one_statutory_notice_in_the_taxpayers_language(harness) -> None:  # type: ignore[no-untyped-def]
    h = harness
    indonesian, english = random_npwp(), random_npwp()
    async with h.sessions() as session, session.begin():
        await RecipientRepository(session).upsert(indonesian, email=h.email())
        await RecipientRepository(session).upsert(english, email=h.email(), locale="en")
        for npwp in (indonesian, english):  # a statutory notice cannot be switched off: the switch is ignored
            await PreferenceRepository(session).set(npwp, "warning.issued", False)
    letters = {npwp: (masa_warning(npwp), annual_warning(npwp)) for npwp in (indonesian, english)}
    for masa, annual in letters.values():
        await deliver(h, [masa, masa])  # twice in one fetch
        await deliver(h, [masa, annual])  # republished, and another letter
        await deliver(h, [annual])

    items = await inbox(h, indonesian)
    assert [(i["notice"], i["locale"], i["statutory"]) for i in items] == [("warning.issued", "id", True)] * 2
    masa_item, annual_item = items
    assert masa_item["title"] == "Surat Teguran ST-00123/WPJ.04/KP.0103/2025: SPT Masa PPN Masa Pajak Maret 2023"
    for line in ("Nomor surat: ST-00123/WPJ.04/KP.0103/2025", "Tanggal surat: 2 Juni 2025",
                 "Jenis SPT: SPT Masa PPN", "Periode: Masa Pajak Maret 2023",
                 "SPT lebih bayar untuk periode ini yang disampaikan setelah 31 Maret 2026",
                 "(UU KUP Pasal 3 ayat (7) huruf c)"):
        assert line in masa_item["body"], line
    assert annual_item["title"] == (
        "Surat Teguran ST-00456/WPJ.04/KP.0103/2026: SPT Tahunan PPh Orang Pribadi Tahun Pajak 2022")
    assert "disampaikan setelah 31 Desember 2025" in annual_item["body"]

    en_items = await inbox(h, english)
    assert [(i["locale"], i["statutory"]) for i in en_items] == [("en", True)] * 2
    en_masa, en_annual = en_items
    assert en_masa["title"] == (
        "Written warning (Surat Teguran) ST-00123/WPJ.04/KP.0103/2025: VAT return (SPT Masa PPN) March 2023")
    for line in ("Letter number: ST-00123/WPJ.04/KP.0103/2025", "Letter date: 2 June 2025",
                 "Return: VAT return (SPT Masa PPN)", "Period: March 2023",
                 "(lebih bayar) filed after 31 March 2026", "(UU KUP Art 3(7)(c))"):
        assert line in en_masa["body"], line
    assert en_annual["title"].endswith(
        ": individual annual income tax return (SPT Tahunan PPh OP) tax year 2022")

    for npwp, locale, subjects in ((indonesian, "id", [i["title"] for i in items]),
                                   (english, "en", [i["title"] for i in en_items])):
        sent = await mails(h, npwp)  # one e-mail per letter, in the inbox item's words
        assert [(m["template"], m["channel"], m["locale"]) for m in sent] == [("warning.issued", "email", locale)] * 2
        assert [m["subject"] for m in sent] == subjects
        assert sorted(m["request_id"] for m in sent) == sorted(f"warning.issued:{e.warning_id}" for e in letters[npwp])


async def test_through_the_broker_a_warning_delivered_twice_is_sent_once(running) -> None:  # type: ignore[no-untyped-def]
    h = running
    npwp, email = random_npwp(), h.email()
    async with h.sessions() as session, session.begin():
        await RecipientRepository(session).upsert(npwp, email=email)
    warning, later = masa_warning(npwp), annual_warning(npwp)
    topic = h.settings.topics.filing_events

    first = envelope_for(warning, key=npwp)
    for envelope in (first, first, envelope_for(warning, key=npwp)):  # redelivered, then republished
        await h.send(warning, key=npwp, topic=topic, envelope=envelope)
    await h.send(later, key=npwp, topic=topic)  # same partition: consumed after all of the above

    await h.message_in_state(f"warning.issued:{later.warning_id}", "sent", "delivered")
    assert len(await h.messages(f"warning.issued:{warning.warning_id}")) == 1
    assert [i["notice"] for i in await inbox(h, npwp)] == ["warning.issued"] * 2
    received = await h.received(email, at_least=2)
    assert sorted(m["subject"] for m in received) == [
        "Surat Teguran ST-00123/WPJ.04/KP.0103/2025: SPT Masa PPN Masa Pajak Maret 2023",
        "Surat Teguran ST-00456/WPJ.04/KP.0103/2026: SPT Tahunan PPh Orang Pribadi Tahun Pajak 2022"]
