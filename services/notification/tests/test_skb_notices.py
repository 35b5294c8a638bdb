"""filing's SKB decisions become statutory notices to the applicant: `SKBIssued` -> `skb.issued` (number, exempted
withholding, validity), `SKBRejected` -> `skb.rejected` (the officer's reason). One per application however often the
decision is redelivered or republished, in the taxpayer's language, and switching notices off does not stop them.
The handler is driven directly on the real database, as the consumer calls it."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import text

from contracts.envelope import Envelope
from contracts.filing import SKBIssued, SKBRejected
from kit.testing.events import envelope_for, random_npwp
from notification.otp import Context
from notification.repository import PreferenceRepository, RecipientRepository
from notification.tax_notices import filing_handlers
from notification.templating import Catalogue

CATALOGUE = Catalogue.load()
DECIDED = datetime(2026, 4, 20, 3, 30, tzinfo=UTC)  # 10:30 WIB


def issued(npwp: str) -> SKBIssued:
    return SKBIssued(application_id=str(uuid.uuid4()), skb_number="SKB-2026-000000007", npwp=npwp, tax="pph23",
                     ground="fiscal_loss", tax_year=2026, valid_from=date(2026, 4, 20),
                     valid_until=date(2026, 12, 31), received_on=date(2026, 4, 15), decision_due=date(2026, 4, 22),
                     decided_at=DECIDED, officer_account_id="officer-1")


def rejected(npwp: str) -> SKBRejected:
    return SKBRejected(application_id=str(uuid.uuid4()), npwp=npwp, tax="pph22", ground="final_income_only",
                       tax_year=2026, reason="Penghasilan tidak seluruhnya dikenai PPh final.",
                       received_on=date(2026, 4, 15), decision_due=date(2026, 4, 22), decided_at=DECIDED,
                       officer_account_id="officer-1")


async def deliver(h, events: list[Any]) -> None:  # type: ignore[no-untyped-def]
    """One fetch of events of one type, each under a fresh envelope id (a republished fact looks like this)."""
    handler, batch = filing_handlers(Context(h.settings, CATALOGUE)).get(  # type: ignore[misc]
        Envelope.model_validate(envelope_for(events[0], key=events[0].npwp)))
    assert batch
    async with h.sessions() as session, session.begin():
        await handler(session, [(Envelope.model_validate(envelope_for(e, key=e.npwp)), e) for e in events])


async def inbox(h, npwp: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    async with h.engine.connect() as conn:
        rows = await conn.execute(text("SELECT * FROM inbox_item WHERE taxpayer = :t ORDER BY notice"), {"t": npwp})
        return [dict(r) for r in rows.mappings()]


async def mails(h, npwp: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    async with h.engine.connect() as conn:
        rows = await conn.execute(text("SELECT * FROM message WHERE taxpayer = :t ORDER BY template"), {"t": npwp})
        return [dict(r) for r in rows.mappings()]


async def test_each_decision_is_one_statutory_notice_in_the_taxpayers_language(harness) -> None:  # type: ignore[no-untyped-def]
    h = harness
    indonesian, english = random_npwp(), random_npwp()
    async with h.sessions() as session, session.begin():
        await RecipientRepository(session).upsert(indonesian, email=h.email())
        await RecipientRepository(session).upsert(english, email=h.email(), locale="en")
        for npwp in (indonesian, english):  # a statutory notice cannot be switched off: the switch is ignored
            await PreferenceRepository(session).set(npwp, "skb.issued", False)
    for npwp in (indonesian, english):
        approval, rejection = issued(npwp), rejected(npwp)
        await deliver(h, [approval, approval])  # twice in one fetch
        await deliver(h, [approval])  # republished
        await deliver(h, [rejection])
        await deliver(h, [rejection])

    items = await inbox(h, indonesian)
    assert [(i["notice"], i["locale"], i["statutory"]) for i in items] == [
        ("skb.issued", "id", True), ("skb.rejected", "id", True)]
    approval_item, rejection_item = items
    assert approval_item["title"] == "SKB SKB-2026-000000007: bebas PPh Pasal 23 sampai 31 Desember 2026"
    for line in ("Nomor SKB: SKB-2026-000000007", "Bebas dari pemotongan/pemungutan: PPh Pasal 23",
                 "Berlaku: 20 April 2026 sampai dengan 31 Desember 2026", "Diputuskan pada: 20 April 2026 10.30 WIB",
                 "Alasan permohonan: rugi fiskal (baru berdiri"):
        assert line in approval_item["body"], line
    assert rejection_item["title"] == "Permohonan SKB PPh Pasal 22 tahun pajak 2026 ditolak"
    assert "Alasan penolakan:\nPenghasilan tidak seluruhnya dikenai PPh final." in rejection_item["body"]
    assert "Diterima pada: 15 April 2026" in rejection_item["body"]

    en_items = await inbox(h, english)
    assert [i["locale"] for i in en_items] == ["en", "en"]
    assert en_items[0]["title"] == (
        "SKB SKB-2026-000000007: exempt from income tax withheld on services, rent, interest and royalties (PPh 23) "
        "until 31 December 2026")
    assert "Valid: 20 April 2026 to 31 December 2026" in en_items[0]["body"]
    assert "Reason for the rejection:\nPenghasilan tidak seluruhnya dikenai PPh final." in en_items[1]["body"]

    for npwp in (indonesian, english):
        sent = await mails(h, npwp)
        assert [(m["template"], m["channel"]) for m in sent] == [("skb.issued", "email"), ("skb.rejected", "email")]
