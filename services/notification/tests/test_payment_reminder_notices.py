"""payment's reminders become optional notices: `BillingExpiryApproaching` -> `billing.expiring`,
`InstalmentDueApproaching` -> `instalment.due`; one per reminder however often it is redelivered or republished, in
the taxpayer's language, none once the taxpayer switched that reminder off. The handlers are driven directly on the
real database, as the consumer calls them."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import text

from contracts.envelope import Envelope
from contracts.payment import BillingExpiryApproaching, InstalmentDueApproaching
from contracts.registry import Contract
from kit.testing.events import envelope_for, random_npwp
from notification.otp import Context
from notification.repository import PreferenceRepository, RecipientRepository
from notification.tax_notices import payment_handlers
from notification.templating import Catalogue

CATALOGUE = Catalogue.load()
EXPIRES_AT = datetime(2026, 12, 20, 9, 30, tzinfo=UTC)  # 16.30 WIB


def expiring(npwp: str) -> BillingExpiryApproaching:
    return BillingExpiryApproaching(
        reminder_id=str(uuid.uuid4()), billing_id=str(uuid.uuid4()),
        billing_code="0" + f"{secrets.randbelow(10**14):014d}", npwp=npwp, kap_kjs="411125-200", period="2025",
        amount="2750000", origin="spt", spt_id=str(uuid.uuid4()), expires_at=EXPIRES_AT,
        sent_at=datetime(2026, 12, 19, 10, 0, tzinfo=UTC))


def instalment_due(npwp: str, number: int, billing_code: str | None) -> InstalmentDueApproaching:
    return InstalmentDueApproaching(
        reminder_id=str(uuid.uuid4()), arrangement_id=str(uuid.uuid4()), debt_id=str(uuid.uuid4()), npwp=npwp,
        kap_kjs="411211-300", assessment_number="00001/101/26/001/26", number=number, instalments=3,
        due_date=date(2027, 1, 2), principal="300000", interest="4680", total="304680", days_left=3,
        billing_code=billing_code, sent_on=date(2026, 12, 30))


async def deliver(h, events: list[Contract]) -> None:  # type: ignore[no-untyped-def]
    """One fetch: every event under a fresh envelope id (a republished fact looks like this)."""
    handlers = payment_handlers(Context(h.settings, CATALOGUE))
    for event in events:
        handler, batch = handlers.get(Envelope.model_validate(envelope_for(event, key=event.npwp)))  # type: ignore[attr-defined, misc]
        assert batch
        async with h.sessions() as session, session.begin():
            await handler(session, [(Envelope.model_validate(envelope_for(event, key=event.npwp)), event)])  # type: ignore[attr-defined]


async def inbox(h, npwp: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    async with h.engine.connect() as conn:
        rows = await conn.execute(text("SELECT * FROM inbox_item WHERE taxpayer = :t ORDER BY notice, title"),
                                  {"t": npwp})
        return [dict(r) for r in rows.mappings()]


async def mails(h, npwp: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    async with h.engine.connect() as conn:
        rows = await conn.execute(text("SELECT * FROM message WHERE taxpayer = :t"), {"t": npwp})
        return [dict(r) for r in rows.mappings()]


async def test_each_payment_reminder_is_one_notice_in_the_taxpayers_language(harness) -> None:  # type: ignore[no-untyped-def]
    h = harness
    english, indonesian, opted_out = random_npwp(), random_npwp(), random_npwp()
    async with h.sessions() as session, session.begin():
        await RecipientRepository(session).upsert(english, email=h.email(), locale="en")
        await RecipientRepository(session).upsert(indonesian, email=h.email())
        await RecipientRepository(session).upsert(opted_out, email=h.email())
        await PreferenceRepository(session).set(opted_out, "billing.expiring", False)
        await PreferenceRepository(session).set(opted_out, "instalment.due", False)
    codes = {}
    for npwp in (english, indonesian, opted_out):
        code, first, second = expiring(npwp), instalment_due(npwp, 1, None), instalment_due(npwp, 2, "012345678901234")
        codes[npwp] = code.billing_code
        await deliver(h, [code, code, first])  # a repeat in one fetch
        await deliver(h, [code, first, second])  # republished, and the next instalment's

    for npwp, locale in ((english, "en"), (indonesian, "id")):
        items = await inbox(h, npwp)
        assert [i["notice"] for i in items] == ["billing.expiring", "instalment.due", "instalment.due"]
        assert {i["locale"] for i in items} == {locale} and not any(i["statutory"] for i in items)
        sent = await mails(h, npwp)
        assert sorted(m["subject"] for m in sent) == sorted(i["title"] for i in items)  # one e-mail each
    code, first, second = await inbox(h, indonesian)
    assert code["title"] == f"Pengingat: kode billing {codes[indonesian]} kedaluwarsa 20 Desember 2026 16.30 WIB"
    assert "Jumlah setor: Rp2.750.000,00" in code["body"] and "Periode: Tahun Pajak 2025" in code["body"]
    assert "Untuk: pembayaran SPT" in code["body"]
    assert first["title"] == "Pengingat: angsuran ke-1 jatuh tempo 2 Januari 2027"
    assert "Angsuran: ke-1 dari 3" in first["body"] and "Jumlah (pokok dan bunga): Rp304.680,00" in first["body"]
    assert "Kode billing: -" in first["body"] and "Kode billing: 012345678901234" in second["body"]
    en_code, en_first, _ = await inbox(h, english)
    assert "Valid until: 20 December 2026 16:30 WIB" in en_code["body"] and "For: payment of a tax return" in \
        en_code["body"]
    assert en_first["title"] == "Reminder: instalment 1 is due on 2 January 2027"
    assert "Time left: 3 day(s)" in en_first["body"]
    assert await inbox(h, opted_out) == [] and await mails(h, opted_out) == []
