"""The deposit on the real database (tax-rules §4.4): topped up by paying 411618-100 codes (last year's top-up still
there this year), allocated to a debt (settled, the deposit date as its payment date, so no late interest runs) or
to a self-assessed liability, transferred to another taxpayer, refunded once an officer approves. Every refusal has
a stable code and changes nothing; every step is a balanced posting and the ledger keeps its invariants."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Any

from contracts.payment import DebtSettled, DepositAllocated, DepositCredited, DepositDebited
from kit.testing.events import outbox_envelopes
from payment.debts.service import accrue_debt_interest
from payment.ledger.service import audit_ledger
from services.payment.tests.conftest import World
from services.payment.tests.factories import registered_taxpayer, taxpayer_token
from services.payment.tests.helpers_debts import officer, read_debt, record_stp

LAST_YEAR = datetime(2025, 12, 20, 3, tzinfo=UTC)


async def top_up(world: World, npwp: str, amount: str, paid_at: datetime) -> None:
    code = await world.new_code(npwp, kap_kjs="411618-100", period=None, amount=amount)
    paid = await world.pay(code["code"], amount, reference=f"TOPUP-{code['code']}", paid_at=paid_at)
    assert paid.status_code == 201, paid.text


async def deposit_of(world: World, npwp: str) -> dict[str, Any]:
    response = await world.http.get("/v1/deposit", headers=taxpayer_token(npwp, scopes=("payment:read",)))
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def post(world: World, path: str, npwp: str, headers: dict[str, str] | None = None, **body: Any) -> Any:
    return await world.http.post(f"/v1/deposit/{path}", json=body, headers=headers or taxpayer_token(npwp))


async def events(world: World, event_type: str, subject: str) -> list[Any]:
    async with world.sessions() as session:
        return [event for _, _, event in await outbox_envelopes(session, event_type=event_type, subjects=[subject])]


async def test_the_deposit_pays_a_debt_on_its_deposit_date_and_a_self_assessed_liability(world: World) -> None:
    npwp = await registered_taxpayer(world.sessions)
    await top_up(world, npwp, "1000000", LAST_YEAR)
    now = datetime.now(UTC).replace(microsecond=0)
    await top_up(world, npwp, "500000", now)
    assert (await deposit_of(world, npwp))["balance"] == "1500000"  # last year's top-up carried over

    debt = await record_stp(world, npwp, amount="800000", issued_on=date(2026, 11, 2), due_date=date(2026, 12, 2))
    code = (await world.http.post(f"/v1/debts/{debt['id']}/billing-code", headers=taxpayer_token(npwp))).json()
    same_request = {**taxpayer_token(npwp), "Idempotency-Key": f"alokasi-{debt['id']}"}
    allocated = await post(world, "allocations", npwp, same_request, debt_id=debt["id"])
    assert allocated.status_code == 201, allocated.text
    a = allocated.json()
    # First in, first out: last December's top-up paid it, so the debt counts as paid before its due date.
    assert (a["kind"], a["status"], a["amount"], a["balance_after"]) == ("allocation", "done", "800000", "700000")
    assert datetime.fromisoformat(a["deemed_paid_at"]) == LAST_YEAR
    replay = await post(world, "allocations", npwp, same_request, debt_id=debt["id"])
    assert replay.json() == a and replay.headers.get("idempotent-replayed") == "true"
    settled = await read_debt(world, npwp, debt["id"])
    assert (settled["status"], settled["outstanding"], datetime.fromisoformat(settled["settled_at"])) == (
        "settled", "0", LAST_YEAR)
    [debt_settled] = await events(world, "DebtSettled", debt["id"])
    assert isinstance(debt_settled, DebtSettled) and debt_settled.allocation_ids == [a["id"]]
    [event] = await events(world, "DepositAllocated", a["id"])
    assert isinstance(event, DepositAllocated)
    assert (event.settles, event.debt_id, event.deemed_paid_at, event.balance_after) == (
        "debt", debt["id"], LAST_YEAR, "700000")
    # The debt's code can no longer be paid (the deposit paid the debt), and no interest runs on a paid debt.
    [(_, expired)] = await world.events("BillingExpired", code=code["code"])
    assert expired.debt_id == debt["id"]  # type: ignore[attr-defined]
    await accrue_debt_interest(world.uow(), batch=10_000, today=date(2027, 3, 1))
    assert await events(world, "DebtInterestAccrued", debt["id"]) == []
    again = await post(world, "allocations", npwp, debt_id=debt["id"])
    assert (again.status_code, again.json()["code"]) == (409, "debt.already_settled")

    self_assessed = await post(world, "allocations", npwp, kap_kjs="411211-100", period="2026-11", amount="200000")
    assert self_assessed.status_code == 201, self_assessed.text
    s = self_assessed.json()
    assert (s["kap_kjs"], s["period"], s["balance_after"]) == ("411211-100", "2026-11", "500000")
    assert datetime.fromisoformat(s["deemed_paid_at"]) == LAST_YEAR  # the rest of last year's top-up
    ledger = (await world.http.get("/v1/ledger", headers=taxpayer_token(npwp))).json()
    assert (ledger["owed"], ledger["deposit"]) == ("0", "500000")
    lines = {(i["kap_kjs"], i["period"] or i["assessment_number"]): (i["liabilities"], i["payments"])
             for i in ledger["items"]}
    assert lines == {("411211-300", debt["assessment_number"]): ("800000", "800000"),
                     ("411211-100", "2026-11"): ("200000", "200000")}
    assert (await audit_ledger(world.uow())).problems == []

    count = await world.scalar("SELECT count(*) FROM deposit_movement WHERE npwp = :n", n=npwp)
    for body, status, error in [
        (dict(kap_kjs="411211-100", period="2026-10", amount="500001"), 409, "deposit.insufficient"),
        (dict(debt_id=debt["id"], kap_kjs="411211-100", amount="1"), 422, "deposit.target_invalid"),
        (dict(), 422, "deposit.target_invalid"),
        (dict(kap_kjs="411618-100", amount="1"), 422, "deposit.kap_kjs_is_deposit"),
        (dict(kap_kjs="411211-300", assessment_number=debt["assessment_number"], amount="1"), 409,
         "deposit.names_a_debt"),
        (dict(kap_kjs="411211-100", period="2026-10", amount=1.5), 422, "request.invalid"),
        (dict(kap_kjs="411211-100", period="2026-10", amount="0"), 422, "billing.amount_invalid"),
    ]:
        refused = await post(world, "allocations", npwp, **body)
        assert (refused.status_code, refused.json()["code"]) == (status, error), (body, refused.text)
    assert await world.scalar("SELECT count(*) FROM deposit_movement WHERE npwp = :n", n=npwp) == count
    assert (await deposit_of(world, npwp))["balance"] == "500000"


async def test_a_deposit_is_transferred_and_refunded_once_an_officer_approves(world: World) -> None:
    npwp = await registered_taxpayer(world.sessions)
    other = await registered_taxpayer(world.sessions, name="CV Penerima")
    await top_up(world, npwp, "1000000", LAST_YEAR)

    same_request = {**taxpayer_token(npwp), "Idempotency-Key": f"pindah-{npwp}"}
    moved = await post(world, "transfers", npwp, same_request, to_npwp=other, amount="250000")
    assert moved.status_code == 201, moved.text
    assert (await post(world, "transfers", npwp, same_request, to_npwp=other, amount="250000")).json() == moved.json()
    t = moved.json()
    assert (t["kind"], t["to_npwp"], t["balance_after"]) == ("transfer", other, "750000")
    assert ((await deposit_of(world, npwp))["balance"], (await deposit_of(world, other))["balance"]) == (
        "750000", "250000")
    [debited] = await events(world, "DepositDebited", t["id"])
    [credited] = await events(world, "DepositCredited", t["id"])
    assert isinstance(debited, DepositDebited) and isinstance(credited, DepositCredited)
    assert (debited.npwp, debited.route, debited.balance_after) == (npwp, "transfer", "750000")
    assert (credited.npwp, credited.route, credited.amount, credited.balance_after) == (
        other, "transfer", "250000", "250000")
    for body, status, error in [
        (dict(to_npwp=npwp, amount="1"), 422, "deposit.recipient_invalid"),
        (dict(to_npwp="9" * 16, amount="1"), 422, "deposit.recipient_invalid"),
        (dict(to_npwp=other, amount="750001"), 409, "deposit.insufficient"),
    ]:
        refused = await post(world, "transfers", npwp, **body)
        assert (refused.status_code, refused.json()["code"]) == (status, error), (body, refused.text)

    requested = await post(world, "refunds", npwp, amount="500000", bank_code="bank-bri",
                           account_number="0123456789")
    assert requested.status_code == 201, requested.text
    r = requested.json()
    assert (r["kind"], r["status"]) == ("refund", "requested")
    assert (await deposit_of(world, npwp))["balance"] == "750000"  # nothing leaves before the officer decides
    queue = (await world.http.get("/internal/v1/deposit/refunds", headers=officer(), params={"limit": 200})).json()
    assert r["id"] in [m["id"] for m in queue["items"]]
    by_taxpayer = await world.http.post(f"/internal/v1/deposit/refunds/{r['id']}/decision",
                                        json={"decision": "approve"}, headers=taxpayer_token(npwp))
    assert by_taxpayer.status_code == 403
    approved = await world.http.post(f"/internal/v1/deposit/refunds/{r['id']}/decision",
                                     json={"decision": "approve"}, headers=officer())
    assert approved.status_code == 201, approved.text
    assert (approved.json()["status"], approved.json()["balance_after"]) == ("done", "250000")
    [refunded] = await events(world, "DepositDebited", r["id"])
    assert (refunded.route, refunded.bank_code, refunded.amount) == ("refund", "bank-bri", "500000")
    twice = await world.http.post(f"/internal/v1/deposit/refunds/{r['id']}/decision",
                                  json={"decision": "approve"}, headers=officer())
    assert (twice.status_code, twice.json()["code"]) == (409, "deposit.refund_decided")

    too_much = await post(world, "refunds", npwp, amount="250001", bank_code="bank-bri", account_number="1")
    assert (too_much.status_code, too_much.json()["code"]) == (409, "deposit.insufficient")
    second = (await post(world, "refunds", npwp, amount="200000", bank_code="bank-bri", account_number="1")).json()
    # Meanwhile the taxpayer spends the deposit: approval is refused, nothing changes, the officer rejects.
    assert (await post(world, "transfers", npwp, to_npwp=other, amount="100000")).status_code == 201
    short = await world.http.post(f"/internal/v1/deposit/refunds/{second['id']}/decision",
                                  json={"decision": "approve"}, headers=officer())
    assert (short.status_code, short.json()["code"]) == (409, "deposit.insufficient")
    no_reason = await world.http.post(f"/internal/v1/deposit/refunds/{second['id']}/decision",
                                      json={"decision": "reject"}, headers=officer())
    assert (no_reason.status_code, no_reason.json()["code"]) == (422, "deposit.reason_required")
    rejected = await world.http.post(f"/internal/v1/deposit/refunds/{second['id']}/decision",
                                     json={"decision": "reject", "reason": "Saldo tidak cukup."}, headers=officer())
    assert (rejected.json()["status"], rejected.json()["reason"]) == ("rejected", "Saldo tidak cukup.")

    mine = await deposit_of(world, npwp)
    assert mine["balance"] == "150000"
    assert [(m["kind"], m["status"], m["amount"]) for m in mine["movements"]] == [
        ("transfer", "done", "250000"), ("refund", "done", "500000"), ("refund", "rejected", "200000"),
        ("transfer", "done", "100000")]
    ledger = (await world.http.get("/v1/ledger", headers=taxpayer_token(npwp))).json()
    assert ledger["deposit"] == "150000"
    assert (await audit_ledger(world.uow())).problems == []


async def test_concurrent_allocations_never_spend_the_deposit_twice(world: World) -> None:
    npwp = await registered_taxpayer(world.sessions)
    await top_up(world, npwp, "100000", LAST_YEAR)
    answers = await asyncio.gather(*(
        post(world, "allocations", npwp, kap_kjs="411211-100", period=f"2026-{month:02d}", amount="60000")
        for month in range(1, 6)))
    assert sorted(r.status_code for r in answers) == [201, 409, 409, 409, 409]
    assert {r.json()["code"] for r in answers if r.status_code == 409} == {"deposit.insufficient"}
    assert (await deposit_of(world, npwp))["balance"] == "40000"
    assert await world.scalar("SELECT count(*) FROM deposit_movement WHERE npwp = :n", n=npwp) == 1
    assert (await audit_ledger(world.uow())).problems == []


async def test_a_top_up_is_announced_with_the_balance_after_it(world: World) -> None:
    """The bank's confirmation of a 411618-100 code announces the top-up in its own transaction, once."""
    npwp = await registered_taxpayer(world.sessions)
    await top_up(world, npwp, "300000", LAST_YEAR)
    payment = (await world.rows("SELECT id, ntpn, amount, paid_at FROM payment WHERE npwp = :n", n=npwp))[0]
    [credited] = await events(world, "DepositCredited", str(payment["id"]))
    assert (credited.route, credited.ntpn, credited.amount, credited.balance_after, credited.deposited_at) == (
        "payment", payment["ntpn"], "300000", "300000", LAST_YEAR)
