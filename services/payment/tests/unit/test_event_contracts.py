"""The payment service's event contracts: each one round-trips through the envelope as the relay and a consumer
will see it, amounts travel as strings, and malformed identifiers are refused at the producer."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from contracts import payment as events
from contracts.registry import Contract, parse, payload_of

NPWP = "0013121660091000"
AT = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)

SAMPLES: list[Contract] = [
    events.BillingCreated(billing_id="b1", billing_code="012345678901234", npwp=NPWP, kap_kjs="411121-100",
                          period="2025-08", amount="1000000", origin="mandiri", created_at=AT,
                          expires_at=datetime(2026, 1, 19, 9, 30, tzinfo=UTC)),
    events.BillingExpired(billing_id="b2", billing_code="112345678901234", npwp=NPWP, kap_kjs="411125-200",
                          period="2025", amount="2500000", origin="spt", spt_id="spt-9", expired_at=AT),
    events.PaymentConfirmed(payment_id="p1", ntpn="0A1B2C3D4E5F6G7H", billing_id="b3",
                            billing_code="212345678901234", npwp=NPWP, kap_kjs="411121-300",
                            assessment_number="00012/107/25/051/25", amount="500000", paid_at=AT, bank_code="002",
                            bank_reference="BRI-778812", settles="debt", debt_id="d1", instalment_number=2,
                            confirmed_at=AT),
    events.DebtRecorded(debt_id="d1", npwp=NPWP, kind="stp", kap_kjs="411121-300",
                        assessment_number="00012/107/25/051/25", amount="1500000", issued_on=date(2025, 12, 1),
                        due_date=date(2026, 1, 1), legacy=True, source_reference="legacy:row:17", recorded_at=AT),
    events.DebtSettled(debt_id="d1", npwp=NPWP, kap_kjs="411121-300", amount="1500000",
                       ntpns=["0A1B2C3D4E5F6G7H", "ZZZZZZZZZZZZZZZ1"], allocation_ids=["a1"], settled_at=AT),
    events.InstalmentGranted(arrangement_id="i1", npwp=NPWP, debt_id="d1", kap_kjs="411121-300", kind="instalment",
                             debt_kind="assessment", principal="1000000", monthly_rate_percent="0.54",
                             schedule=[events.ScheduledPayment(number=1, due_date=date(2026, 2, 1),
                                                               principal="500000", interest="5400", total="505400"),
                                       events.ScheduledPayment(number=2, due_date=date(2026, 3, 1),
                                                               principal="500000", interest="2700", total="502700")],
                             granted_at=AT),
    events.DepositCredited(credit_id="c1", npwp=NPWP, amount="1000000", route="payment", ntpn="0A1B2C3D4E5F6G7H",
                           deposited_at=AT, balance_after="1000000"),
    events.DepositAllocated(allocation_id="a1", npwp=NPWP, amount="900000", kap_kjs="411121-100", period="2025-08",
                            settles="self_assessed", deemed_paid_at=AT, allocated_at=AT, balance_after="100000"),
    events.DepositDebited(movement_id="m1", npwp=NPWP, amount="250000", route="transfer",
                          to_npwp="0013121660092000", debited_at=AT, balance_after="750000"),
    events.DebtInterestAccrued(debt_id="d1", npwp=NPWP, kap_kjs="411121-300",
                               assessment_number="00012/107/25/051/25", principal="1000000",
                               interest_from=date(2026, 10, 1), as_of=date(2026, 12, 6), months=3,
                               monthly_rate_percent="0.52", interest="15600"),
    events.PHTBValidated(validation_id="v1", number="SKV-2026-000001", npwp=NPWP, buyer_id="3171011708450001",
                         nop="317101000100201230", ntpn="0A1B2C3D4E5F6G7H", kap_kjs="411128-402",
                         gross_value="2000000000", category="general", rate_percent="2.5", tax_amount="50000000",
                         decided_by="rules", validated_at=AT),
    events.BillingExpiryApproaching(reminder_id="r1", billing_id="b2", billing_code="112345678901234", npwp=NPWP,
                                    kap_kjs="411125-200", period="2025", amount="2500000", origin="spt",
                                    spt_id="spt-9", expires_at=datetime(2026, 1, 6, 9, 30, tzinfo=UTC), sent_at=AT),
    events.InstalmentDueApproaching(reminder_id="r2", arrangement_id="i1", debt_id="d1", npwp=NPWP,
                                    kap_kjs="411121-300", assessment_number="00012/107/25/051/25", number=2,
                                    instalments=2, due_date=date(2026, 3, 1), principal="500000", interest="2700",
                                    total="502700", days_left=3, billing_code="212345678901234",
                                    sent_on=date(2026, 2, 26)),
]


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: e.type)
def test_every_payment_event_round_trips_through_the_envelope(event: Contract) -> None:
    raw = {"id": str(uuid.uuid4()), "type": event.type, "version": event.version, "source": event.source,
           "subject": "s", "sequence": 1, "partition_key": NPWP, "time": "2026-01-05T09:30:00Z",
           "data": payload_of(event)}
    assert parse(raw)[1] == event
    assert event.source == "payment"


def test_every_contract_is_sampled() -> None:
    registered = {m for m in vars(events).values()
                  if isinstance(m, type) and issubclass(m, Contract) and m is not Contract}
    assert {type(e) for e in SAMPLES} == registered
    assert len(registered) == 13


@pytest.mark.parametrize("model, field, bad", [
    (events.BillingCreated, "billing_code", "412345678901234"),
    (events.BillingCreated, "kap_kjs", "411121100"),
    (events.BillingCreated, "period", "2025-13"),
    (events.BillingCreated, "amount", "1.5e6"),
    (events.BillingCreated, "origin", "button"),
    (events.PaymentConfirmed, "ntpn", "0a1b2c3d4e5f6g7h"),
    (events.PaymentConfirmed, "settles", "nothing"),
    (events.DebtSettled, "ntpns", ["short"]),
    (events.PHTBValidated, "nop", "31.71.010.001.002-0123.0"),
    (events.DepositCredited, "amount", "-5"),
    (events.BillingExpiryApproaching, "origin", "button"),
    (events.InstalmentDueApproaching, "days_left", -1),
    (events.InstalmentDueApproaching, "billing_code", "12345"),
])
def test_malformed_values_are_refused(model: type[Contract], field: str, bad: object) -> None:
    [sample] = [e for e in SAMPLES if type(e) is model]
    with pytest.raises(ValidationError):
        model.model_validate({**sample.model_dump(), field: bad})
