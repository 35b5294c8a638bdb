"""Billing codes through the API on the real database: a mandiri code made, read by its owner only, announced once
with the aggregate's version; Idempotency-Key; every refusal with its stable code and nothing written; the
SPT-linked code made from filing's SPTPaymentRequested delivered over the real broker."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from contracts.envelope import Envelope
from contracts.filing import SPTPaymentRequested
from contracts.payment import BillingCreated
from kit.testing.events import envelope_for, random_npwp
from kit.testing.service import deliver
from payment.billing.errors import PeriodInvalid
from payment.billing.service import create_spt_billing
from payment.settings import PaymentSettings
from payment.worker import CONSUMERS
from services.payment.tests.conftest import World
from services.payment.tests.factories import bank_token, mandiri_body, taxpayer_token


async def test_a_mandiri_code_is_made_read_by_its_owner_and_announced_once(world: World) -> None:
    npwp = random_npwp()
    response = await world.http.post("/v1/billing-codes", headers=taxpayer_token(npwp), json=mandiri_body(
        npwp, kap_kjs="411211-100", period="2026-10", amount="11000000"))
    assert response.status_code == 201, response.text
    created = response.json()
    code = created["code"]
    assert len(code) == 15 and code.isdigit() and code[0] in "0123"
    assert (created["npwp"], created["kap_kjs"], created["period"], created["amount"], created["origin"],
            created["status"]) == (npwp, "411211-100", "2026-10", "11000000", "mandiri", "active")
    assert created["kap_name"] == "PPN Dalam Negeri" and created["spt_id"] is None and created["ntpn"] is None
    # Created after 17 Dec 2025 00:00 WIB: valid 14 days (PENG-4/PJ/2025).
    validity = datetime.fromisoformat(created["expires_at"]) - datetime.fromisoformat(created["created_at"])
    assert validity == timedelta(days=14)

    own = await world.http.get(f"/v1/billing-codes/{code}", headers=taxpayer_token(npwp))
    assert own.status_code == 200 and own.json() == created

    # Someone else's code is as missing as one that does not exist.
    other = await world.http.get(f"/v1/billing-codes/{code}", headers=taxpayer_token(random_npwp()))
    assert (other.status_code, other.json()["code"]) == (404, "billing.not_found")

    [(key, event)] = await world.events("BillingCreated", code=code)
    assert key == npwp and isinstance(event, BillingCreated)
    assert (event.npwp, event.kap_kjs, event.period, event.amount, event.origin, event.expires_at) == (
        npwp, "411211-100", "2026-10", "11000000", "mandiri", datetime.fromisoformat(created["expires_at"]))
    assert await world.sequences("BillingCreated", code) == [1]


async def test_the_token_s_only_taxpayer_is_the_default_and_an_assessment_code_names_its_number(world: World) -> None:
    npwp = random_npwp()
    response = await world.http.post("/v1/billing-codes", headers=taxpayer_token(npwp), json=mandiri_body(
        kap_kjs="411125-300", period=None, assessment_number="00012/107/25/051/25", amount=750_000))
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["npwp"], body["assessment_number"], body["period"], body["amount"]) == (
        npwp, "00012/107/25/051/25", None, "750000")


async def test_idempotency_key_returns_the_first_code_and_refuses_another_body(world: World) -> None:
    npwp = random_npwp()
    headers = {**taxpayer_token(npwp), "Idempotency-Key": "pay-2026-10-ppn"}
    first = await world.http.post("/v1/billing-codes", headers=headers, json=mandiri_body(npwp))
    again = await world.http.post("/v1/billing-codes", headers=headers, json=mandiri_body(npwp))
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json() and again.headers.get("idempotent-replayed") == "true"
    assert await world.scalar("SELECT count(*) FROM billing WHERE npwp = :n", n=npwp) == 1

    other = await world.http.post("/v1/billing-codes", headers=headers, json=mandiri_body(npwp, amount="1"))
    assert (other.status_code, other.json()["code"]) == (422, "idempotency.key_reused")
    assert await world.scalar("SELECT count(*) FROM billing WHERE npwp = :n", n=npwp) == 1


async def test_ten_requests_at_once_with_one_key_make_one_code_and_a_refusal_keeps_no_claim(world: World) -> None:
    """The claim, the code, `BillingCreated` and the stored answer commit together: concurrent requests with one key
    wait at the claim and replay the first answer; a refused request leaves the key free for a valid body."""
    npwp = random_npwp()
    headers = {**taxpayer_token(npwp), "Idempotency-Key": "pay-at-once"}
    answers = await asyncio.gather(*(world.http.post("/v1/billing-codes", headers=headers, json=mandiri_body(npwp))
                                     for _ in range(10)))
    assert {r.status_code for r in answers} == {201} and len({r.json()["code"] for r in answers}) == 1
    assert sum(r.headers.get("idempotent-replayed") == "true" for r in answers) == 9
    assert len(await world.events("BillingCreated", npwp=npwp)) == 1

    refused_first = {**taxpayer_token(npwp), "Idempotency-Key": "pay-after-typo"}
    typo = await world.http.post("/v1/billing-codes", headers=refused_first, json=mandiri_body(npwp, period="2025-13"))
    fixed = await world.http.post("/v1/billing-codes", headers=refused_first, json=mandiri_body(npwp))
    assert (typo.status_code, fixed.status_code) == (422, 201)
    assert await world.scalar("SELECT count(*) FROM billing WHERE npwp = :n", n=npwp) == 2


REFUSALS: list[tuple[str, dict[str, Any], int, str]] = [
    ("malformed KAP-KJS", {"kap_kjs": "411121100"}, 422, "billing.kap_kjs_invalid"),
    ("unknown KAP", {"kap_kjs": "999999-100"}, 422, "billing.kap_unknown"),
    ("KJS of another KAP", {"kap_kjs": "411121-999"}, 422, "billing.kjs_not_for_kap"),
    ("period missing", {"period": None}, 422, "billing.period_required"),
    ("month 13", {"period": "2025-13"}, 422, "billing.period_invalid"),
    ("a year where a month is needed", {"period": "2025"}, 422, "billing.period_invalid"),
    ("deposit takes no period", {"kap_kjs": "411618-100"}, 422, "billing.period_not_applicable"),
    ("STP without its number", {"kap_kjs": "411121-300", "period": None}, 422,
     "billing.assessment_number_required"),
    ("STP number too long", {"kap_kjs": "411121-300", "period": None, "assessment_number": "9" * 65}, 422,
     "billing.assessment_number_invalid"),
    ("assessment number on a masa code", {"assessment_number": "00012/107/25/051/25"}, 422,
     "billing.assessment_number_not_applicable"),
    ("zero", {"amount": "0"}, 422, "billing.amount_invalid"),
    ("negative", {"amount": -5}, 422, "billing.amount_invalid"),
    ("sen", {"amount": "1500000.50"}, 422, "billing.amount_invalid"),
    ("not a number", {"amount": "satu juta"}, 422, "billing.amount_invalid"),
    ("too large", {"amount": "1" + "0" * 16}, 422, "billing.amount_invalid"),
    ("a float", {"amount": 1500000.0}, 422, "request.invalid"),
    ("linked to an SPT", {"spt_id": "spt-1"}, 422, "request.invalid"),
]


@pytest.mark.parametrize("why, change, status, code", REFUSALS, ids=[r[0] for r in REFUSALS])
async def test_a_refused_code_has_a_stable_reason_and_writes_nothing(world: World, why: str, change: dict[str, Any],
                                                                    status: int, code: str) -> None:
    npwp = random_npwp()
    body = {k: v for k, v in {**mandiri_body(npwp), **change}.items() if v is not None}
    response = await world.http.post("/v1/billing-codes", headers=taxpayer_token(npwp), json=body)
    assert (response.status_code, response.json()["code"]) == (status, code), response.text
    assert await world.scalar("SELECT count(*) FROM billing WHERE npwp = :n", n=npwp) == 0


async def test_who_may_make_and_read_codes(world: World) -> None:
    npwp = random_npwp()
    cases = [
        ({}, 401, "unauthorized"),
        (taxpayer_token(random_npwp()), 403, "auth.taxpayer_forbidden"),
        (taxpayer_token(npwp, scopes=("payment:read",)), 403, "auth.missing_scope"),
        (bank_token(), 403, "auth.missing_scope"),
    ]
    for headers, status, code in cases:
        response = await world.http.post("/v1/billing-codes", headers=headers, json=mandiri_body(npwp))
        assert (response.status_code, response.json()["code"]) == (status, code), response.text
    several = await world.http.post("/v1/billing-codes", headers=taxpayer_token(npwp, random_npwp()),
                                    json=mandiri_body())
    assert (several.status_code, several.json()["code"]) == (400, "taxpayer.ambiguous")
    assert await world.scalar("SELECT count(*) FROM billing WHERE npwp = :n", n=npwp) == 0

    code = (await world.new_code(npwp))["code"]
    no_scope = await world.http.get(f"/v1/billing-codes/{code}", headers=taxpayer_token(npwp, scopes=("x",)))
    assert (no_scope.status_code, no_scope.json()["code"]) == (403, "auth.missing_scope")
    malformed = await world.http.get("/v1/billing-codes/41234567890123", headers=taxpayer_token(npwp))
    assert (malformed.status_code, malformed.json()["code"]) == (422, "billing.code_invalid")


def spt_request(npwp: str, spt_id: str, **changes: Any) -> SPTPaymentRequested:
    values: dict[str, Any] = dict(spt_id=spt_id, npwp=npwp, form="spt_masa_ppn", period="2026-10", spt_version=0,
                                  kap_kjs="411211-100", amount="4400000", payment_due_date=date(2026, 11, 30),
                                  requested_at=datetime.now(UTC))
    return SPTPaymentRequested(**{**values, **changes})


async def test_an_spt_waiting_for_payment_gets_one_linked_code_from_filing_s_event(
        world: World, settings: PaymentSettings) -> None:
    [filing_events] = [spec for spec in CONSUMERS if spec.purpose == "filing-events"]
    npwp, spt_id = random_npwp(), f"spt-{random_npwp()}"
    request = spt_request(npwp, spt_id)
    # The request twice (filing retried), and a second one for another KAP-KJS of the same return (PPnBM).
    await deliver(settings, filing_events, [(npwp, request, 1), (npwp, request, 2),
                                            (npwp, spt_request(npwp, spt_id, kap_kjs="411221-100",
                                                               amount="1000000"), 3)])
    rows = await world.rows("SELECT code, kap, kjs, period, amount, origin, spt_id, status, version FROM billing "
                            "WHERE npwp = :n ORDER BY kap", n=npwp)
    assert [(r["kap"], r["kjs"], r["period"], r["origin"], r["spt_id"], r["status"], r["version"]) for r in rows] == [
        ("411211", "100", "2026-10", "spt", spt_id, "active", 1),
        ("411221", "100", "2026-10", "spt", spt_id, "active", 1)]
    ppn_code = rows[0]["code"]
    [(key, created)] = await world.events("BillingCreated", code=ppn_code)
    assert key == npwp and isinstance(created, BillingCreated)
    assert (created.origin, created.spt_id, created.amount) == ("spt", spt_id, "4400000")

    read = await world.http.get(f"/v1/billing-codes/{ppn_code}", headers=taxpayer_token(npwp))
    assert (read.json()["origin"], read.json()["spt_id"]) == ("spt", spt_id)

    # Paid: the confirmation says it settled the SPT, so filing can submit it.
    paid = await world.pay(ppn_code, "4400000", reference=f"SPT-{spt_id}")
    assert paid.status_code == 201, paid.text
    [(_, confirmed)] = await world.events("PaymentConfirmed", code=ppn_code)
    assert (confirmed.settles, confirmed.spt_id, confirmed.kap_kjs, confirmed.period) == (  # type: ignore[attr-defined]
        "spt", spt_id, "411211-100", "2026-10")

    # The front end finds the SPT's codes by its id, paid or still payable; another taxpayer's token sees none.
    listed = await world.http.get("/v1/billing-codes", params={"spt_id": spt_id}, headers=taxpayer_token(npwp))
    assert [(c["kap_kjs"], c["status"], c["ntpn"] is not None) for c in listed.json()["items"]] == [
        ("411211-100", "paid", True), ("411221-100", "active", False)]
    active = await world.http.get("/v1/billing-codes", params={"status": "active", "limit": 1},
                                  headers=taxpayer_token(npwp))
    assert [c["kap_kjs"] for c in active.json()["items"]] == ["411221-100"] and active.json()["next_cursor"] is None
    other = await world.http.get("/v1/billing-codes", params={"npwp": npwp}, headers=taxpayer_token(random_npwp()))
    assert other.status_code == 403

    # A request arriving after the code was paid makes no second code.
    await deliver(settings, filing_events, [(npwp, spt_request(npwp, spt_id), 4)])
    assert await world.scalar("SELECT count(*) FROM billing WHERE spt_id = :s", s=spt_id) == 2


async def test_a_request_the_rules_refuse_raises_its_reason_and_makes_no_code(world: World) -> None:
    """Raised in the consumer's transaction, the reason sends the event to the dead letters (kit's consumer)."""
    npwp = random_npwp()
    bad = spt_request(npwp, "spt-bad", period="2026")  # 411211-100 is monthly: a year is refused by the table
    async with world.sessions() as session:
        with pytest.raises(PeriodInvalid):
            await create_spt_billing(session, Envelope.model_validate(envelope_for(bad, key=npwp)), bad)
    assert await world.scalar("SELECT count(*) FROM billing WHERE npwp = :n", n=npwp) == 0
