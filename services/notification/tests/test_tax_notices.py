"""filing's and payment's facts become notices: one per fact however often redelivered or republished, in the
taxpayer's language with amounts the Indonesian way, optional ones respecting the preference, unknown events on the
topics ignored. The handlers are driven directly on the real database; one case goes through the real broker,
consumer groups, inbox, dispatcher and SMTP sandbox."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from contracts.envelope import Envelope
from contracts.filing import AuditStarted
from kit.testing.events import envelope_for, random_npwp
from notification.otp import Context
from notification.repository import PreferenceRepository, RecipientRepository
from notification.tax_notices import FILING_RULES, PAYMENT_RULES, filing_handlers, payment_handlers
from notification.templating import Catalogue

CATALOGUE = Catalogue.load()
FILING = {rule.contract for rule in FILING_RULES}
NOTICES = sorted(rule.notice for rule in FILING_RULES + PAYMENT_RULES)


async def _inbox(h, npwp: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    async with h.engine.connect() as conn:
        rows = await conn.execute(text("SELECT * FROM inbox_item WHERE taxpayer = :t ORDER BY notice"), {"t": npwp})
        return [dict(r) for r in rows.mappings()]


async def _messages(h, npwp: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    async with h.engine.connect() as conn:
        rows = await conn.execute(text("SELECT * FROM message WHERE taxpayer = :t ORDER BY template"), {"t": npwp})
        return [dict(r) for r in rows.mappings()]


async def _apply(h, ctx: Context, events: list[tuple[dict[str, Any], Any]]) -> None:  # type: ignore[no-untyped-def]
    """As the consumer does: all the events of one contract to its batch handler at once, in one transaction."""
    filing, payment = filing_handlers(ctx), payment_handlers(ctx)
    runs: dict[type, list[tuple[Envelope, Any]]] = {}
    for raw, event in events:
        runs.setdefault(type(event), []).append((Envelope.model_validate(raw), event))
    async with h.sessions() as session, session.begin():
        for contract, run in runs.items():
            handler, batch = (filing if contract in FILING else payment).get(run[0][0])  # type: ignore[misc]
            assert batch
            await handler(session, run)  # type: ignore[call-arg]


async def test_each_fact_makes_one_notice_in_the_taxpayers_language(harness, make_tax_events) -> None:  # type: ignore[no-untyped-def]
    h = harness
    ctx = Context(h.settings, CATALOGUE)
    english, indonesian = random_npwp(), random_npwp()
    async with h.sessions() as session, session.begin():
        await RecipientRepository(session).upsert(english, email=h.email(), locale="en")
        await RecipientRepository(session).upsert(indonesian, email=h.email())  # no preference: Indonesian
    for npwp in (english, indonesian):
        events = make_tax_events(npwp)
        first = [(envelope_for(e, key=npwp), e) for e in events]
        republished = [(envelope_for(e, key=npwp), e) for e in events]  # the same facts under new event ids
        await _apply(h, ctx, first + republished)  # a fact twice in one fetch
        await _apply(h, ctx, republished)  # and again later

    for npwp, locale in ((english, "en"), (indonesian, "id")):
        items, messages = await _inbox(h, npwp), await _messages(h, npwp)
        assert [i["notice"] for i in items] == NOTICES  # each once
        assert [m["template"] for m in messages] == NOTICES  # one e-mail each
        assert {i["locale"] for i in items} == {m["locale"] for m in messages} == {locale}
        assert all(m["channel"] == "email" and m["state"] == "queued" for m in messages)
        statutory = {i["notice"]: i["statutory"] for i in items}
        assert statutory["stp.issued"] and statutory["spt.submitted"] and not statutory["billing.created"]

    stp = {i["notice"]: i for i in await _inbox(h, indonesian)}["stp.issued"]
    assert stp["title"].endswith(": Rp500.000,00") and "Jatuh tempo: 1 Januari 2027" in stp["body"]
    assert "Sebab: SPT disampaikan terlambat" in stp["body"]
    mail = {m["template"]: m for m in await _messages(h, english)}["payment.confirmed"]
    assert mail["subject"].startswith("Payment of IDR 1,234,567.00 received, NTPN ")
    assert "Paid at: 6 December 2026 14:05 WIB" in mail["body"]
    assert mail["request_id"].startswith("payment.confirmed:") and mail["params"]["amount"] == "1234567"


async def test_optional_notices_respect_the_preference_statutory_ones_always_go(harness, make_tax_events) -> None:  # type: ignore[no-untyped-def]
    h = harness
    ctx = Context(h.settings, CATALOGUE)
    npwp = random_npwp()
    async with h.sessions() as session, session.begin():
        for notice in ("billing.created", "deposit.credited"):
            await PreferenceRepository(session).set(npwp, notice, False)
    events = {e.type: e for e in make_tax_events(npwp)}
    chosen = [events[t] for t in ("BillingCreated", "DepositCredited", "PaymentConfirmed", "STPIssued")]
    await _apply(h, ctx, [(envelope_for(e, key=npwp), e) for e in chosen])
    assert [i["notice"] for i in await _inbox(h, npwp)] == ["payment.confirmed", "stp.issued"]


async def test_through_the_broker_redelivered_and_republished_facts_notify_once_and_strangers_are_ignored(
        running, make_tax_events) -> None:  # type: ignore[no-untyped-def]
    h = running
    npwp, email = random_npwp(), h.email()
    async with h.sessions() as session, session.begin():
        await RecipientRepository(session).upsert(npwp, email=email, locale="en")
    events = {e.type: e for e in make_tax_events(npwp)}
    submitted, stp, paid = events["SPTSubmitted"], events["STPIssued"], events["PaymentConfirmed"]
    topics = h.settings.topics

    receipt = envelope_for(submitted, key=npwp)
    stranger = envelope_for(stp, key=npwp) | {"type": "SPTArchived"}  # a type this build does not know
    audit = AuditStarted(audit_id=str(uuid.uuid4()), npwp=npwp, period="2025", audit_type="field",
                         started_at=datetime.now(UTC), officer_account_id=str(uuid.uuid4()))
    for envelope in (receipt, receipt, envelope_for(submitted, key=npwp), stranger, envelope_for(audit, key=npwp)):
        await h.send(submitted, key=npwp, topic=topics.filing_events, envelope=envelope)
    await h.send(stp, key=npwp, topic=topics.filing_events)  # same partition: applied after all of the above
    payment = envelope_for(paid, key=npwp)
    for _ in range(2):
        await h.send(paid, key=npwp, topic=topics.payment_events, envelope=payment)

    mails = await h.received(email, at_least=3)  # the STP's came after everything else on its partition
    assert [i["notice"] for i in await _inbox(h, npwp)] == ["payment.confirmed", "spt.submitted", "stp.issued"]
    subjects = sorted(m["subject"] for m in mails)
    assert subjects == sorted([f"Receipt {submitted.receipt_number}: VAT return (SPT Masa PPN) November 2026",
                               f"Tax collection letter {stp.stp_number}: IDR 500,000.00",
                               f"Payment of IDR 1,234,567.00 received, NTPN {paid.ntpn}"])
    await h.message_in_state(f"spt.submitted:{submitted.spt_id}", "sent", "delivered")
    assert len(await h.sandbox_messages(email)) == 3
