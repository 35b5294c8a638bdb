"""Bank confirmations applied set-based, on the real database: a bank's host-to-host file (`POST
/v1/bank/payments/batch`) and single calls arriving together (`POST /v1/bank/payments`, gathered into one batch by the
process), each with its own answer. Exactly once whatever arrives together: the same item twice in one file, the same
file again, ten calls with one reference at once through both routes. A refused item changes nothing for itself and
nothing for the others; the ledger keeps its invariants."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from contracts.payment import PaymentConfirmed
from kit.testing.events import random_npwp
from payment.ledger.service import audit_ledger
from services.payment.tests.conftest import World
from services.payment.tests.factories import bank_token, taxpayer_token
from services.payment.tests.helpers_debts import record_stp

RUN = uuid.uuid4().hex[:8]  # bank references are unique per bank across the session's tests


def ref(name: str) -> str:
    return f"{name}-{RUN}"


def item(code: str, amount: str, reference: str, paid_at: datetime) -> dict[str, Any]:
    return {"billing_code": code, "amount": amount, "bank_reference": reference, "paid_at": paid_at.isoformat()}


async def pay_file(world: World, items: list[dict[str, Any]], bank: str = "bank-bri") -> dict[str, Any]:
    response = await world.http.post("/v1/bank/payments/batch", headers=bank_token(bank), json={"payments": items})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def payments_of(world: World, code: str) -> int:
    return int(await world.scalar("SELECT count(*) FROM payment WHERE billing_code = :c", c=code))


async def test_a_bank_file_pays_each_code_once_and_the_same_file_again_changes_nothing(world: World) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    codes = [await world.new_code(amount=str(100_000 + i)) for i in range(5)]
    items = [item(c["code"], c["amount"], f"H2H-{c['code']}", now) for c in codes]
    items.insert(3, dict(items[1]))  # the same confirmation twice in one file

    first = await pay_file(world, items)
    assert [r["status"] for r in first["results"]] == [201, 201, 201, 200, 201, 201]
    assert (first["confirmed"], first["answered_before"], first["refused"]) == (5, 1, 0)
    assert first["results"][3]["receipt"] == first["results"][1]["receipt"]
    ntpns = [r["receipt"]["ntpn"] for r in first["results"]]
    assert len(set(ntpns)) == 5 and all(len(n) == 16 and n.isalnum() for n in ntpns)
    for code, result in zip([c["code"] for c in codes], [first["results"][i] for i in (0, 1, 2, 4, 5)],
                            strict=True):
        assert result["receipt"]["billing_code"] == code and await payments_of(world, code) == 1

    again = await pay_file(world, items)  # the bank sends the file again
    assert [r["status"] for r in again["results"]] == [200] * 6
    assert [r["receipt"] for r in again["results"]] == [r["receipt"] for r in first["results"]]
    for c in codes:
        assert await payments_of(world, c["code"]) == 1
        assert len(await world.events("PaymentConfirmed", code=c["code"])) == 1
        assert await world.sequences("PaymentConfirmed", c["code"]) == [2]
        assert await world.scalar("SELECT version FROM billing WHERE code = :c", c=c["code"]) == 2
        ntpn = await world.scalar("SELECT ntpn FROM payment WHERE billing_code = :c", c=c["code"])
        assert await world.scalar("SELECT count(*) FROM transfer WHERE reference = :n", n=ntpn) == 2
    # The single route answers the same confirmation with the same receipt.
    single = await world.pay(codes[0]["code"], codes[0]["amount"], reference=f"H2H-{codes[0]['code']}", paid_at=now)
    assert (single.status_code, single.json()) == (200, first["results"][0]["receipt"])
    assert (await audit_ledger(world.uow())).problems == []


async def test_a_mixed_file_refuses_items_alone_with_stable_codes_and_changes_nothing_for_them(world: World) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    paid = await world.new_code(amount="500000")
    assert (await world.pay(paid["code"], "500000", reference=ref("BNI-1"), paid_at=now)).status_code == 201
    expired = await world.new_code(amount="800000")
    await world.backdate(expired["code"])
    wrong_amount, twice, reused, good = [await world.new_code(amount=str(a)) for a in (700_000, 600_000, 400_000,
                                                                                        300_000)]
    contested = await world.new_code(amount="200000")

    cases: list[tuple[dict[str, Any], int, str | None]] = [
        (item(good["code"], "300000", ref("BRI-GOOD"), now), 201, None),
        (item(wrong_amount["code"], "699999", ref("BRI-1"), now), 422, "confirmation.amount_mismatch"),
        (item(expired["code"], "800000", ref("BRI-2"), now), 409, "confirmation.billing_expired"),
        (item("012345678901234", "800000", ref("BRI-3"), now), 404, "billing.not_found"),
        (item("712345678901234", "800000", ref("BRI-4"), now), 422, "billing.code_invalid"),
        (item(twice["code"], "600000.50", ref("BRI-5"), now), 422, "billing.amount_invalid"),
        (item(paid["code"], "500000", ref("BRI-6"), now), 409, "confirmation.already_paid"),  # paid by another reference
        (item(twice["code"], "600000", ref("BRI-7"), now + timedelta(days=1)), 422, "confirmation.paid_at_invalid"),
        # the first item's reference again, for another code: the reference answers first
        (item(reused["code"], "400000", ref("BRI-GOOD"), now), 409, "confirmation.bank_reference_reused"),
        # two payments of one code in one file: the first in file order pays it, the second is refused
        (item(contested["code"], "200000", ref("BRI-8"), now), 201, None),
        (item(contested["code"], "200000", ref("BRI-9"), now), 409, "confirmation.already_paid"),
        # the paid code's own reference with another paid_at
        (item(paid["code"], "500000", ref("BNI-1"), now - timedelta(hours=1)), 409,
         "confirmation.bank_reference_reused"),
    ]
    result = await pay_file(world, [c for c, _, _ in cases])
    assert [(r["status"], (r["error"] or {}).get("code")) for r in result["results"]] == [
        (status, code) for _, status, code in cases]
    assert (result["confirmed"], result["answered_before"], result["refused"]) == (2, 0, 10)
    assert result["results"][6]["error"]["details"]["paid_at"] == now.isoformat()

    for code in (wrong_amount, expired, twice, reused):
        assert await payments_of(world, code["code"]) == 0
        assert await world.events("PaymentConfirmed", code=code["code"]) == []
        assert await world.scalar("SELECT version FROM billing WHERE code = :c", c=code["code"]) == 1
    for code in (paid, good, contested):
        assert await payments_of(world, code["code"]) == 1
        assert len(await world.events("PaymentConfirmed", code=code["code"])) == 1
    assert await world.scalar("SELECT bank_reference FROM payment WHERE billing_code = :c", c=contested["code"]) == \
        ref("BRI-8")
    assert await world.scalar("SELECT count(*) FROM payment WHERE bank_reference LIKE :r", r=f"BRI-%-{RUN}") == 2
    # A refused code stays payable in full.
    assert (await world.pay(wrong_amount["code"], "700000", reference=ref("BRI-10"), paid_at=now)).status_code == 201
    assert (await audit_ledger(world.uow())).problems == []


async def test_ten_calls_with_one_reference_at_once_through_both_routes_pay_once(world: World) -> None:
    code = await world.new_code(amount="987000")
    paid_at = datetime.now(UTC).replace(microsecond=0)
    confirmation = item(code["code"], "987000", ref("MANDIRI-77"), paid_at)
    singles = [world.pay(code["code"], "987000", reference=ref("MANDIRI-77"), paid_at=paid_at, bank="bank-mandiri")
               for _ in range(5)]
    files = [world.http.post("/v1/bank/payments/batch", headers=bank_token("bank-mandiri"),
                             json={"payments": [confirmation, confirmation]}) for _ in range(5)]
    answers = await asyncio.gather(*singles, *files)
    statuses = [r.status_code for r in answers[:5]]
    statuses += [item["status"] for r in answers[5:] for item in r.json()["results"]]
    assert sorted(statuses) == [200] * 14 + [201], [r.text for r in answers]
    receipts = [r.json() for r in answers[:5]] + [i["receipt"] for r in answers[5:] for i in r.json()["results"]]
    assert len({r["ntpn"] for r in receipts}) == 1
    [ntpn] = {r["ntpn"] for r in receipts}
    assert await payments_of(world, code["code"]) == 1
    assert await world.scalar("SELECT count(*) FROM transfer WHERE reference = :n", n=ntpn) == 2
    assert len(await world.events("PaymentConfirmed", code=code["code"])) == 1
    assert await world.scalar("SELECT version FROM billing WHERE code = :c", c=code["code"]) == 2
    assert (await audit_ledger(world.uow())).problems == []


async def test_single_calls_arriving_together_each_get_their_own_payment_and_event(world: World) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    codes = [await world.new_code(amount=str(50_000 + i)) for i in range(40)]
    correlations = [f"bank-call-{uuid.uuid4().hex[:8]}" for _ in codes]
    answers = await asyncio.gather(*(world.http.post(
        "/v1/bank/payments", headers={**bank_token(), "x-correlation-id": cid},
        json=item(c["code"], c["amount"], f"TOGETHER-{c['code']}", now)) for c, cid in zip(codes, correlations,
                                                                                           strict=True)))
    assert [r.status_code for r in answers] == [201] * len(codes), [r.text for r in answers]
    assert len({r.json()["ntpn"] for r in answers}) == len(codes)
    for c, cid, answer in zip(codes, correlations, answers, strict=True):
        assert answer.json()["billing_code"] == c["code"]
        [(_, event)] = await world.events("PaymentConfirmed", code=c["code"])
        assert isinstance(event, PaymentConfirmed) and event.ntpn == answer.json()["ntpn"]
        envelope = await world.scalar("SELECT payload->>'correlation_id' FROM outbox WHERE event_type = "
                                      "'PaymentConfirmed' AND payload->'data'->>'billing_code' = :c", c=c["code"])
        assert envelope == cid  # each call's own, whatever batch applied it
    assert (await audit_ledger(world.uow())).problems == []


async def test_a_file_with_debts_and_deposits_settles_each_and_a_debt_that_refuses_refuses_alone(
        world: World) -> None:
    npwp = random_npwp()
    now = datetime.now(UTC).replace(microsecond=0)
    debts = [await record_stp(world, npwp, amount=str(amount), issued_on=date(2026, 11, 2),
                              due_date=date(2026, 12, 2)) for amount in (310_000, 320_000)]
    bills = [(await world.http.post(f"/v1/debts/{d['id']}/billing-code", headers=taxpayer_token(npwp))).json()
             for d in debts]
    top_ups = [await world.new_code(npwp, kap_kjs="411618-100", period=None, amount=a) for a in ("100000", "50000")]
    plain = await world.new_code(npwp, amount="70000")
    # The second debt was settled meanwhile (as if by another channel): its code's payment must be refused.
    await world.execute("UPDATE debt SET status = 'settled', outstanding = 0, settled_at = now(), version = 2 "
                        "WHERE id = :d", d=debts[1]["id"])

    result = await pay_file(world, [
        item(bills[0]["code"], "310000", ref("MIX-1"), now), item(top_ups[0]["code"], "100000", ref("MIX-2"), now),
        item(bills[1]["code"], "320000", ref("MIX-3"), now), item(top_ups[1]["code"], "50000", ref("MIX-4"), now),
        item(plain["code"], "70000", ref("MIX-5"), now)])
    assert [(r["status"], (r["error"] or {}).get("code")) for r in result["results"]] == [
        (201, None), (201, None), (409, "debt.already_settled"), (201, None), (201, None)]

    assert await world.scalar("SELECT status FROM debt WHERE id = :d", d=debts[0]["id"]) == "settled"
    assert await payments_of(world, bills[1]["code"]) == 0
    assert await world.scalar("SELECT status FROM billing WHERE code = :c", c=bills[1]["code"]) == "active"
    assert await world.events("PaymentConfirmed", code=bills[1]["code"]) == []
    settled = await world.rows("SELECT payload->'data'->>'debt_id' AS d FROM outbox WHERE event_type = 'DebtSettled'")
    assert [r["d"] for r in settled] == [debts[0]["id"]]
    credited = [e for _, e in await world.events("DepositCredited", npwp=npwp)]
    # Two top-ups of one taxpayer in one file: each announced with the balance after it.
    assert sorted(e.balance_after for e in credited) == ["100000", "150000"]  # type: ignore[attr-defined]
    deposit = (await world.http.get("/v1/deposit", headers=taxpayer_token(npwp, scopes=("payment:read",)))).json()
    assert deposit["balance"] == "150000"

    # Back as it was (the database is the session's): the refused code then pays its debt.
    await world.execute("UPDATE debt SET status = 'open', outstanding = amount, settled_at = NULL, version = 1 "
                        "WHERE id = :d", d=debts[1]["id"])
    retried = await pay_file(world, [item(bills[1]["code"], "320000", ref("MIX-3"), now)])
    assert retried["results"][0]["status"] == 201
    assert await world.scalar("SELECT status FROM debt WHERE id = :d", d=debts[1]["id"]) == "settled"
    assert (await audit_ledger(world.uow())).problems == []


async def test_a_file_is_a_bank_s_and_at_most_a_thousand_confirmations(world: World) -> None:
    now = datetime.now(UTC)
    one = item("012345678901234", "1000", ref("LIMIT-1"), now)
    for headers, body, status, code in [
        (taxpayer_token(random_npwp()), {"payments": [one]}, 403, "auth.bank_client_required"),
        (bank_token(scopes=("payment:read",)), {"payments": [one]}, 403, "auth.missing_scope"),
        (bank_token(), {"payments": []}, 422, "request.invalid"),
        (bank_token(), {"payments": [one] * 1001}, 422, "request.invalid"),
        (bank_token(), {"payments": [{**one, "paid_at": "2026-12-01T10:00:00"}]}, 422, "request.invalid"),
    ]:
        response = await world.http.post("/v1/bank/payments/batch", headers=headers, json=body)
        assert (response.status_code, response.json()["code"]) == (status, code)
