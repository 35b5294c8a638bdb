"""Instalments and postponement on the real database (tax-rules §6.5): the taxpayer applies (decision due in 7
working days), an officer approves (schedule with tier-1 interest booked on the debt, InstalmentGranted, the debt's
whole code expired) or rejects with a reason; each instalment is paid with its own code and the last payment settles
the debt; a missed instalment makes the remainder due (later interest cancelled) and the debt payable whole. Every
refusal has a stable code and changes nothing; the ledger keeps its invariants throughout."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from contracts.payment import BillingCreated, BillingExpired, DebtSettled, InstalmentGranted
from kit.testing.events import outbox_envelopes, random_npwp
from payment.instalments.service import accelerate_missed
from payment.instalments.workdays import add_working_days
from payment.ledger.service import audit_ledger
from services.payment.tests.conftest import TODAY, World
from services.payment.tests.factories import mandiri_body, taxpayer_token
from services.payment.tests.helpers_debts import officer, read_debt, record_stp

# the debts here fall due in December 2026: its KMK rates (synthetic, as published by filing) must be known
pytestmark = pytest.mark.usefixtures("kmk_months_published")


async def apply(world: World, npwp: str, headers: dict[str, str] | None = None, **body: Any) -> Any:
    headers = headers or taxpayer_token(npwp)
    return await world.http.post("/v1/instalments", json={"reason": "Kesulitan likuiditas.", **body},
                                 headers=headers)


async def decide(world: World, arrangement_id: str, **body: Any) -> Any:
    return await world.http.post(f"/internal/v1/instalments/{arrangement_id}/decision", json=body,
                                 headers=officer())


async def instalment_code(world: World, npwp: str, arrangement_id: str, number: int) -> Any:
    return await world.http.post(f"/v1/instalments/{arrangement_id}/instalments/{number}/billing-code",
                                 headers=taxpayer_token(npwp))


async def pay(world: World, code: dict[str, Any]) -> str:
    paid = await world.pay(code["code"], code["amount"], reference=f"INST-{code['code']}")
    assert paid.status_code == 201, paid.text
    return paid.json()["ntpn"]  # type: ignore[no-any-return]


async def events(world: World, event_type: str, subject: str) -> list[Any]:
    async with world.sessions() as session:
        return await outbox_envelopes(session, event_type=event_type, subjects=[subject])


async def test_granted_instalments_are_paid_code_by_code_and_the_last_settles_the_debt(world: World) -> None:
    npwp = random_npwp()
    debt = await record_stp(world, npwp, amount="1200000", issued_on=date(2026, 11, 2), due_date=date(2026, 12, 2))
    whole = (await world.http.post(f"/v1/debts/{debt['id']}/billing-code", headers=taxpayer_token(npwp))).json()

    terms = dict(debt_id=debt["id"], kind="instalment", instalments=3, first_due_date="2027-01-02")
    same_request = {**taxpayer_token(npwp), "Idempotency-Key": f"cicil-{debt['id']}"}
    applied = await apply(world, npwp, same_request, **terms)
    assert applied.status_code == 201, applied.text
    arrangement = applied.json()
    today = TODAY
    assert (arrangement["status"], arrangement["debt_kind"], arrangement["received_on"], arrangement["decide_by"],
            arrangement["principal"], arrangement["schedule"]) == (
        "applied", "assessment", today.isoformat(), add_working_days(today, 7).isoformat(), "1200000", [])
    replay = await apply(world, npwp, same_request, **terms)
    assert replay.json() == arrangement and replay.headers.get("idempotent-replayed") == "true"
    again = await apply(world, npwp, **terms)
    assert (again.status_code, again.json()["code"]) == (409, "instalment.already_applied")
    queue = (await world.http.get("/internal/v1/instalments", headers=officer(), params={"limit": 200})).json()
    assert arrangement["id"] in [a["id"] for a in queue["items"]]
    forbidden = await world.http.post(f"/internal/v1/instalments/{arrangement['id']}/decision",
                                      json={"decision": "approve"}, headers=taxpayer_token(npwp))
    assert forbidden.status_code == 403

    granted = await decide(world, arrangement["id"], decision="approve")
    assert granted.status_code == 201, granted.text
    g = granted.json()
    # Tier 1 of the due date's month (December 2026: the synthetic month published for these tests, 0.51%/month)
    # on the balance still owed, 1 month each.
    assert (g["status"], g["monthly_rate_percent"]) == ("granted", "0.51")
    assert [(i["number"], i["due_date"], i["principal"], i["interest"], i["total"], i["status"])
            for i in g["schedule"]] == [
        (1, "2027-01-02", "400000", "6120", "406120", "open"),
        (2, "2027-02-02", "400000", "4080", "404080", "open"),
        (3, "2027-03-02", "400000", "2040", "402040", "open")]
    [(key, envelope, event)] = await events(world, "InstalmentGranted", arrangement["id"])
    assert key == npwp and envelope.sequence == 2 and isinstance(event, InstalmentGranted)
    assert (event.debt_id, event.kind, event.principal, [p.total for p in event.schedule]) == (
        debt["id"], "instalment", "1200000", ["406120", "404080", "402040"])
    assert [e.billing_code for _, e in await world.events("BillingExpired", code=whole["code"])] == [whole["code"]]
    assert (await read_debt(world, npwp, debt["id"]))["outstanding"] == "1212240"
    decided_again = await decide(world, arrangement["id"], decision="reject", reason="x")
    assert (decided_again.status_code, decided_again.json()["code"]) == (409, "instalment.already_decided")

    # While the schedule runs the debt is paid instalment by instalment, by no other code.
    whole_again = await world.http.post(f"/v1/debts/{debt['id']}/billing-code", headers=taxpayer_token(npwp))
    assert (whole_again.status_code, whole_again.json()["code"]) == (409, "debt.in_instalments")
    named = await world.http.post("/v1/billing-codes", headers=taxpayer_token(npwp), json=mandiri_body(
        npwp, kap_kjs="411211-300", period=None, assessment_number=debt["assessment_number"], amount="1212240"))
    assert (named.status_code, named.json()["code"]) == (409, "debt.in_instalments")
    unknown = await instalment_code(world, npwp, arrangement["id"], 4)
    assert (unknown.status_code, unknown.json()["code"]) == (404, "instalment.number_unknown")

    ntpns = []
    for number in (1, 2, 3):
        made = await instalment_code(world, npwp, arrangement["id"], number)
        assert made.status_code == 201, made.text
        code = made.json()
        assert (code["origin"], code["debt_id"], code["instalment_number"], code["amount"]) == (
            "bill", debt["id"], number, g["schedule"][number - 1]["total"])
        assert (await instalment_code(world, npwp, arrangement["id"], number)).json()["code"] == code["code"]
        [(_, created)] = await world.events("BillingCreated", code=code["code"])
        assert isinstance(created, BillingCreated) and created.instalment_number == number
        ntpns.append(await pay(world, code))
        paid_twice = await instalment_code(world, npwp, arrangement["id"], number)
        assert (paid_twice.status_code, paid_twice.json()["code"]) == (409, "instalment.already_paid")
        if number == 1:
            after_first = await read_debt(world, npwp, debt["id"])
            assert (after_first["status"], after_first["outstanding"]) == ("open", "806120")
            assert (await audit_ledger(world.uow())).problems == []

    settled = await read_debt(world, npwp, debt["id"])
    assert (settled["status"], settled["outstanding"]) == ("settled", "0")
    [(_, _, done)] = await events(world, "DebtSettled", debt["id"])
    assert isinstance(done, DebtSettled) and done.ntpns == ntpns and done.amount == "1200000"
    final = (await world.http.get(f"/v1/instalments/{arrangement['id']}", headers=taxpayer_token(npwp))).json()
    assert final["status"] == "completed" and [i["ntpn"] for i in final["schedule"]] == ntpns
    ledger = (await world.http.get("/v1/ledger", headers=taxpayer_token(npwp))).json()
    [line] = ledger["items"]
    assert (ledger["owed"], line["liabilities"], line["payments"]) == ("0", "1212240", "1212240")
    assert (await audit_ledger(world.uow())).problems == []


async def test_refused_applications_change_nothing_and_a_rejection_states_its_reason(world: World) -> None:
    npwp = random_npwp()
    debt = await record_stp(world, npwp, amount="500000", issued_on=date(2026, 11, 2), due_date=date(2026, 12, 2))
    for body, status, code in [
        (dict(kind="postponement"), 422, "instalment.request_invalid"),
        (dict(kind="postponement", postponed_to="2027-06-01", instalments=2), 422, "instalment.request_invalid"),
        (dict(kind="instalment", instalments=1), 422, "request.invalid"),
        (dict(kind="instalment", instalments=2, postponed_to="2027-06-01"), 422, "instalment.request_invalid"),
        (dict(kind="postponement", postponed_to="2028-01-02"), 422, "instalment.term_too_long"),
        (dict(kind="instalment", instalments=13), 422, "instalment.term_too_long"),
        (dict(kind="postponement", postponed_to="2026-11-30"), 422, "instalment.terms_invalid"),
    ]:
        refused = await apply(world, npwp, debt_id=debt["id"], **body)
        assert (refused.status_code, refused.json()["code"]) == (status, code), (body, refused.text)
    elsewhere = await apply(world, random_npwp(), debt_id=debt["id"], kind="postponement", postponed_to="2027-06-01")
    assert (elsewhere.status_code, elsewhere.json()["code"]) == (404, "debt.not_found")
    assert await world.scalar("SELECT count(*) FROM instalment_arrangement WHERE debt_id = :d", d=debt["id"]) == 0

    applied = (await apply(world, npwp, debt_id=debt["id"], kind="postponement", postponed_to="2027-06-01")).json()
    no_reason = await decide(world, applied["id"], decision="reject")
    assert (no_reason.status_code, no_reason.json()["code"]) == (422, "instalment.reason_required")
    rejected = await decide(world, applied["id"], decision="reject", reason="Tidak ada bukti kesulitan likuiditas.")
    assert rejected.status_code == 201, rejected.text
    assert (rejected.json()["status"], rejected.json()["rejection_reason"]) == (
        "rejected", "Tidak ada bukti kesulitan likuiditas.")
    assert await events(world, "InstalmentGranted", applied["id"]) == []
    not_granted = await instalment_code(world, npwp, applied["id"], 1)
    assert (not_granted.status_code, not_granted.json()["code"]) == (409, "instalment.not_granted")
    # Rejected, the debt is payable whole as before, and the taxpayer may apply again.
    assert (await world.http.post(f"/v1/debts/{debt['id']}/billing-code",
                                  headers=taxpayer_token(npwp))).status_code == 201
    postponement = await apply(world, npwp, debt_id=debt["id"], kind="postponement", postponed_to="2027-06-01")
    assert postponement.status_code == 201, postponement.text
    # A postponement is one payment: 2 Dec to 1 Jun is 6 months of tier-1 interest on the whole debt.
    granted = (await decide(world, postponement.json()["id"], decision="approve")).json()
    assert (granted["kind"], granted["instalments"]) == ("postponement", 1)
    assert [(i["due_date"], i["principal"], i["interest"], i["total"]) for i in granted["schedule"]] == [
        ("2027-06-01", "500000", "15300", "515300")]
    assert (await read_debt(world, npwp, debt["id"]))["outstanding"] == "515300"
    assert (await audit_ledger(world.uow())).problems == []


async def test_a_missed_instalment_makes_the_remainder_due_and_the_debt_payable_whole(world: World) -> None:
    npwp = random_npwp()
    debt = await record_stp(world, npwp, amount="900000", issued_on=date(2026, 11, 2), due_date=date(2026, 12, 2))
    arrangement = (await apply(world, npwp, debt_id=debt["id"], kind="instalment", instalments=3,
                               first_due_date="2027-01-02")).json()
    g = (await decide(world, arrangement["id"], decision="approve")).json()
    assert [i["interest"] for i in g["schedule"]] == ["4590", "3060", "1530"]
    await pay(world, (await instalment_code(world, npwp, arrangement["id"], 1)).json())
    second = (await instalment_code(world, npwp, arrangement["id"], 2)).json()

    await accelerate_missed(world.uow(), batch=1000, today=date(2027, 2, 2))  # due that very day: not missed yet
    assert (await read_debt(world, npwp, debt["id"]))["outstanding"] == "604590"
    await accelerate_missed(world.uow(), batch=1000, today=date(2027, 2, 5))

    # Instalment 2 was missed: its principal and interest are due, and instalment 3's principal; 3's interest never
    # ran. The code of instalment 2 can no longer be paid; the debt is payable whole.
    after = await read_debt(world, npwp, debt["id"])
    assert (after["status"], after["outstanding"]) == ("open", "603060")
    read = (await world.http.get(f"/v1/instalments/{arrangement['id']}", headers=taxpayer_token(npwp))).json()
    assert (read["status"], read["accelerated_on"]) == ("accelerated", "2027-02-02")
    assert [i["status"] for i in read["schedule"]] == ["paid", "cancelled", "cancelled"]
    [(_, expired)] = await world.events("BillingExpired", code=second["code"])
    assert isinstance(expired, BillingExpired) and expired.instalment_number == 2
    late = await world.pay(second["code"], second["amount"], reference=f"LATE-{second['code']}")
    assert (late.status_code, late.json()["code"]) == (409, "confirmation.billing_expired")
    gone = await instalment_code(world, npwp, arrangement["id"], 3)
    assert (gone.status_code, gone.json()["code"]) == (409, "instalment.not_granted")
    interest = await world.rows("SELECT interest_principal, interest_from, interest_next_on FROM debt WHERE id = :d",
                                d=debt["id"])
    assert interest == [{"interest_principal": 600000, "interest_from": date(2027, 2, 2),
                         "interest_next_on": date(2027, 2, 3)}]
    assert (await audit_ledger(world.uow())).problems == []

    whole = await world.http.post(f"/v1/debts/{debt['id']}/billing-code", headers=taxpayer_token(npwp))
    assert (whole.status_code, whole.json()["amount"], whole.json()["instalment_number"]) == (201, "603060", None)
    await pay(world, whole.json())
    assert (await read_debt(world, npwp, debt["id"]))["status"] == "settled"
    assert (await audit_ledger(world.uow())).problems == []
