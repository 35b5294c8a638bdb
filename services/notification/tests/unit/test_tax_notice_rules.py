"""The table from filing's and payment's events to notices, checked against the packaged templates without I/O."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from contracts.envelope import Envelope
from contracts.payment import DebtRecorded, DepositCredited
from contracts.registry import registered
from kit.testing.events import envelope_for, random_npwp
from notification.tax_notices import FILING_RULES, PAYMENT_RULES, WITHOUT_NOTICE, filing_handlers, notices_for
from notification.templating import Catalogue

RULES = {rule.contract: rule for rule in FILING_RULES + PAYMENT_RULES}
CATALOGUE = Catalogue.load()

STATUTORY = {"spt.submitted", "spt.corrected", "stp.issued", "skp.issued", "kswp.issued", "payment.confirmed",
             "debt.recorded", "instalment.granted", "phtb.validated", "skb.issued", "skb.rejected", "warning.issued"}
OPTIONAL = {"billing.created", "deposit.credited", "deadline.approaching", "billing.expiring", "instalment.due"}


def test_every_filing_and_payment_event_is_a_notice_or_deliberately_not() -> None:
    events = {c.type for c in registered().values() if c.source in ("filing", "payment")}
    undecided = events - {c.type for c in RULES} - set(WITHOUT_NOTICE)
    assert not undecided, f"add a NoticeRule (and a template) or a WITHOUT_NOTICE reason for {sorted(undecided)}"
    assert not {c.type for c in RULES} & set(WITHOUT_NOTICE)


def test_receipts_letters_and_decisions_are_statutory_billing_deposit_credits_and_reminders_optional() -> None:
    assert {r.notice for r in RULES.values()} == STATUTORY | OPTIONAL
    for name in STATUTORY:
        assert CATALOGUE.get(name).statutory, name
    for name in OPTIONAL:
        assert not CATALOGUE.get(name).statutory, name


def test_each_template_takes_exactly_what_its_rule_gives_and_reads_in_both_languages(make_tax_events) -> None:  # type: ignore[no-untyped-def]
    events = make_tax_events(random_npwp())
    assert {type(e) for e in events} == set(RULES)
    for event in events:
        rule = RULES[type(event)]
        template = CATALOGUE.get(rule.notice)
        params = rule.params(event)
        assert set(params) == template.params, rule.notice
        assert template.channels == ("inbox", "email")
        for locale in ("id", "en"):
            for channel in ("inbox", "email"):
                rendered = template.render(channel, locale, params)
                assert rendered.locale == locale and rendered.subject
                assert "None" not in rendered.body and "${" not in rendered.body, (rule.notice, locale)
        indonesian = template.render("email", "id", params).body
        english = template.render("email", "en", params).body
        assert indonesian != english
        if "amount" in params:
            assert "Rp" in indonesian and "IDR " in english


def test_receipt_in_each_language(make_tax_events) -> None:  # type: ignore[no-untyped-def]
    submitted = make_tax_events("0123456789012345")[0]
    rule = RULES[type(submitted)]
    template = CATALOGUE.get(rule.notice)
    indonesian = template.render("email", "id", rule.params(submitted))
    english = template.render("email", "en", rule.params(submitted))
    assert indonesian.subject == f"BPE {submitted.receipt_number}: SPT Masa PPN Masa Pajak November 2026"
    assert f"Nomor BPE: {submitted.receipt_number}" in indonesian.body
    assert "Diterima pada: 6 Desember 2026 14.05 WIB" in indonesian.body
    assert "Status SPT: kurang bayar (Rp1.234.567,00)" in indonesian.body
    assert english.subject == f"Receipt {submitted.receipt_number}: VAT return (SPT Masa PPN) November 2026"
    assert "Filed at: 6 December 2026 14:05 WIB" in english.body and "(IDR 1,234,567.00)" in english.body


def test_the_source_key_is_the_fact_not_the_envelope(make_tax_events) -> None:  # type: ignore[no-untyped-def]
    for event in make_tax_events(random_npwp()):
        rule = RULES[type(event)]
        first = Envelope.model_validate(envelope_for(event, key=event.npwp))
        republished = Envelope.model_validate(envelope_for(event, key=event.npwp))
        keys = {n.dedupe_key for n in notices_for(rule, [(first, event), (republished, event)])}
        assert len(keys) == 1 and keys.pop().startswith(rule.notice + ":")


def _debt(kind: str, legacy: bool) -> DebtRecorded:
    return DebtRecorded(debt_id=str(uuid.uuid4()), npwp=random_npwp(), kind=kind, kap_kjs="411211-300",  # type: ignore[arg-type]
                        amount="100000", issued_on=date(2026, 1, 2), due_date=date(2026, 2, 2), legacy=legacy,
                        recorded_at=datetime.now(UTC))


@pytest.mark.parametrize("event, notice", [
    (_debt("stp", legacy=False), False),  # the STP's own notice said it
    (_debt("skpkb", legacy=False), False),
    (_debt("stp", legacy=True), True),  # a pre-Coretax debt nobody was told about
    (_debt("spt_underpayment", legacy=False), True),
    (DepositCredited(credit_id="c", npwp=random_npwp(), amount="1", route="payment", deposited_at=datetime.now(UTC),
                     balance_after="1"), False),  # the payment receipt said it
    (DepositCredited(credit_id="c", npwp=random_npwp(), amount="1", route="transfer", deposited_at=datetime.now(UTC),
                     balance_after="1"), True),
])
def test_an_event_that_repeats_another_notice_makes_none(event: object, notice: bool) -> None:
    rule = RULES[type(event)]
    envelope = Envelope.model_validate(envelope_for(event, key=event.npwp))  # type: ignore[arg-type, attr-defined]
    assert len(notices_for(rule, [(envelope, event)])) == int(notice)


def test_unknown_or_unlisted_events_on_the_topic_have_no_handler() -> None:
    from notification.otp import Context
    from notification.settings import NotificationSettings

    handlers = filing_handlers(Context(NotificationSettings(), CATALOGUE))
    stranger = Envelope(id=uuid.uuid4(), type="SPTArchived", version=1, source="filing", subject="x",
                        partition_key="x", time=datetime.now(UTC), data={})
    newer = stranger.model_copy(update={"type": "SPTSubmitted", "version": 2})
    unlisted = stranger.model_copy(update={"type": "AuditStarted"})
    assert handlers.get(stranger) is None and handlers.get(newer) is None and handlers.get(unlisted) is None


def test_kswp_reasons_filing_sends_read_in_words() -> None:
    """filing's KSWPIssued.reasons are the codes of the failed checks (`npwp_inactive`, ...), not `kswp.*`."""
    from contracts.filing import KSWPIssued

    event = KSWPIssued(kswp_id="w1", letter_number="KSWP-2026-000000001", npwp=random_npwp(),
                       requesting_agency="Pemda DKI", service="izin usaha", variant="customs", status="invalid",
                       reasons=["npwp_not_found", "npwp_inactive", "name_mismatch", "spt_tahunan_not_filed",
                                "spt_masa_ppn_not_filed"],
                       checked_at=datetime(2026, 4, 15, 3, tzinfo=UTC), snapshot_digest="ab" * 32,
                       verification_code="V" * 20)
    rule = RULES[KSWPIssued]
    template = CATALOGUE.get(rule.notice)
    indonesian = template.render("email", "id", rule.params(event)).body
    english = template.render("email", "en", rule.params(event)).body
    assert ("Alasan: NPWP tidak terdaftar, NPWP tidak aktif, nama tidak sesuai dengan data DJP, SPT Tahunan dua tahun "
            "pajak terakhir belum disampaikan, SPT Masa PPN tiga masa pajak terakhir belum disampaikan") in indonesian
    assert "Reasons: the NPWP is not registered, the NPWP is not active, the name does not match" in english
