"""filing.events contracts: every event round-trips through the envelope, and the shapes refuse what they must."""

import uuid
from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

import contracts
from contracts.filing import (
    REFERENCE_KEY,
    AuditClosed,
    AuditStarted,
    DeadlineApproaching,
    InterestRatesPublished,
    KSWPIssued,
    PublishedDayOff,
    SKBIssued,
    SKBRejected,
    SKPIssued,
    SPTCorrected,
    SPTPaymentRequested,
    SPTSubmitted,
    STPIssued,
    WorkingCalendarPublished,
    WrittenWarningIssued,
)
from contracts.registry import Contract, parse, payload_of

NPWP = "0012345678901234"
AT = datetime(2026, 4, 2, 9, 30, tzinfo=UTC)
DIGEST = "ab" * 32

EVENTS: list[Contract] = [
    SPTSubmitted(spt_id="r1", npwp=NPWP, form="spt_masa_ppn", period="2026-02", spt_version=0, filed_at=AT,
                 receipt_number="BPE-0001", content_digest=DIGEST, outcome="kurang_bayar", amount_payable="7600000",
                 overpayment="0", due_date=date(2026, 3, 31), late=True, billing_code="012345678901234",
                 ntpn="0A1B2C3D4E5F6G7H", payment_date=date(2026, 4, 2), signer_account_id="acc-1"),
    SPTPaymentRequested(spt_id="r1", npwp=NPWP, form="spt_masa_ppn",
                        period="2026-02", spt_version=0, kap_kjs="411211-100", amount="7600000",
                        payment_due_date=date(2026, 3, 31), requested_at=AT),
    SPTCorrected(spt_id="r2", previous_spt_id="r1", npwp=NPWP, form="spt_tahunan_badan", period="2025",
                 spt_version=1, previous_spt_version=0, filed_at=AT, receipt_number="BPE-0002",
                 content_digest=DIGEST, outcome="nihil", amount_payable="0", overpayment="0", tax_raise="500000",
                 shows_overpayment_or_loss=False),
    STPIssued(stp_id="s1", stp_number="00001/101/26/001/26", npwp=NPWP, reason="late_payment",
              basis="UU KUP Art 9(2a)", kap_kjs="411121-300", amount="190000", principal="10000000",
              interest_months=2, monthly_rate_percent="0.95", form="spt_masa_pph21", period="2025-08",
              issued_on=date(2025, 10, 21), due_date=date(2025, 11, 21)),
    SKPIssued(skp_id="k1", skp_number="00001/207/25/001/26", npwp=NPWP, kind="SKPKB", form="spt_masa_ppn",
              period="2025-08", audit_id="a1", principal="10000000", interest="360000", increase="0",
              total="10360000", kap_kjs="411211-310", issued_on=date(2025, 10, 20), due_date=date(2025, 11, 20),
              reasoning="output tax under-reported", officer_account_id="off-1"),
    AuditStarted(audit_id="a1", npwp=NPWP, period="2025-08", audit_type="field", started_at=AT,
                 officer_account_id="off-1"),
    AuditClosed(audit_id="a1", npwp=NPWP, period="2025-08", outcome="assessed", skp_ids=["k1"], closed_at=AT,
                officer_account_id="off-1"),
    KSWPIssued(kswp_id="w1", letter_number="KSWP-1", npwp=NPWP, requesting_agency="Kementerian Investasi",
               service="izin usaha", variant="standard", status="invalid", reasons=["kswp.annual_return_missing"],
               checked_at=AT, snapshot_digest=DIGEST, verification_code="V1"),
    DeadlineApproaching(reminder_id="m1", npwp=NPWP, form="spt_masa_ppn", period="2026-11",
                        due_date=date(2026, 12, 31), days_left=7, reminder="d7", sent_on=date(2026, 12, 21)),
    SKBIssued(application_id="b1", skb_number="SKB-2026-000000001", npwp=NPWP, tax="pph23", ground="fiscal_loss",
              tax_year=2026, valid_from=date(2026, 4, 20), valid_until=date(2026, 12, 31),
              received_on=date(2026, 4, 15), decision_due=date(2026, 4, 22), decided_at=AT,
              officer_account_id="off-1"),
    SKBRejected(application_id="b2", npwp=NPWP, tax="pph22", ground="final_income_only", tax_year=2026,
                reason="Rugi fiskal tidak terbukti.", received_on=date(2026, 4, 15), decision_due=date(2026, 4, 22),
                decided_at=AT, officer_account_id="off-1"),
    WrittenWarningIssued(warning_id="t1", letter_number="ST-00123/WPJ.04/KP.0103/2025", npwp=NPWP,
                         form="spt_masa_ppn", period="2023-03", issued_on=date(2025, 6, 2),
                         overpayment_filing_limit=date(2026, 3, 31), recorded_at=AT, officer_account_id="off-1"),
    WorkingCalendarPublished(year=2027, revision=2, days=[
        PublishedDayOff(date=date(2027, 1, 1), kind="national_holiday", name="Tahun Baru"),
        PublishedDayOff(date=date(2027, 1, 4), kind="cuti_bersama", name="Cuti bersama")],
        basis_number="SKB 1/2026", basis_signed_on=date(2026, 9, 1), published_at=AT),
    InterestRatesPublished(month="2026-02", tier_1="0.51", tier_2="0.92", tier_3="1.34", tier_4="1.76",
                           tier_5="2.17", imbalan_bunga="0.51", kmk_number="2/MK/EF/2026",
                           kmk_signed_on=date(2026, 1, 30), published_at=AT),
]


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: e.type)
def test_every_filing_event_round_trips_and_is_registered(event: Contract) -> None:
    assert contracts.registered()[(event.type, 1)] is type(event)
    envelope = {"id": str(uuid.uuid4()), "type": event.type, "version": event.version, "source": "filing",
                "subject": "x", "sequence": 1, "partition_key": NPWP, "time": AT.isoformat(),
                "data": payload_of(event)}
    assert parse(envelope)[1] == event


def test_every_contract_of_the_filing_module_has_an_example_here() -> None:
    declared = {m for (_, _), m in contracts.registered().items() if m.__module__ == "contracts.filing"}
    assert declared == {type(e) for e in EVENTS}


@pytest.mark.parametrize("change", [
    {"amount_payable": "1.005"},  # more than 2 decimals
    {"amount_payable": "-1"},
    {"npwp": "123"},
    {"period": "2026-13"},
    {"outcome": "maybe"},
    {"content_digest": "xyz"},
    {"ntpn": "short"},
])
def test_spt_submitted_refuses_bad_facts(change: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        SPTSubmitted(**{**EVENTS[0].model_dump(), **change})


def test_reference_events_travel_under_the_reference_key() -> None:
    for event in EVENTS[-2:]:
        envelope = {"id": str(uuid.uuid4()), "type": event.type, "version": 1, "source": "filing",
                    "subject": "2027", "sequence": 1, "partition_key": REFERENCE_KEY, "time": AT.isoformat(),
                    "data": payload_of(event)}
        assert parse(envelope)[0].partition_key == "reference"


@pytest.mark.parametrize("change", [{"tier_2": "0,92"}, {"tier_2": "0.92001"}, {"tier_2": "-1"}, {"month": "2026-13"},
                                    {"kmk_number": ""}])
def test_interest_rates_published_refuses_bad_facts(change: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        InterestRatesPublished(**{**EVENTS[-1].model_dump(), **change})
