"""Mandiri codes made set-based, on the real database: a PJAP's batch (`POST /v1/billing-codes/batch`, each item
answered alone, one transaction, the batch's Idempotency-Key), and single requests arriving together (`POST
/v1/billing-codes`, gathered by the process into one statement), each with its own code, its own answer stored for
its own Idempotency-Key, its own `BillingCreated` with its own correlation id."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from contracts.payment import BillingCreated
from kit.testing.events import random_npwp
from services.payment.tests.conftest import World
from services.payment.tests.factories import mandiri_body, taxpayer_token


async def test_a_pjap_batch_makes_each_valid_code_and_refuses_the_others_alone(world: World) -> None:
    npwp, other = random_npwp(), random_npwp()
    items: list[tuple[dict[str, Any], int, str | None]] = [
        (mandiri_body(npwp, kap_kjs="411211-100", period="2026-10", amount="1100000"), 201, None),
        (mandiri_body(npwp, period="2025-13"), 422, "billing.period_invalid"),
        (mandiri_body(npwp, kap_kjs="999999-100"), 422, "billing.kap_unknown"),
        (mandiri_body(npwp, kap_kjs="411125-300", period=None, assessment_number="00012/107/25/051/25"), 422,
         "billing.assessment_number_in_batch"),
        (mandiri_body(other), 403, "auth.taxpayer_forbidden"),
        (mandiri_body(npwp, amount="1500000.50"), 422, "billing.amount_invalid"),
        (mandiri_body(npwp, kap_kjs="411618-100", period=None, amount="2000000"), 201, None),
    ]
    headers = {**taxpayer_token(npwp), "Idempotency-Key": "pjap-batch-1"}
    response = await world.http.post("/v1/billing-codes/batch", headers=headers,
                                     json={"items": [body for body, _, _ in items]})
    assert response.status_code == 200, response.text
    result = response.json()
    assert [(r["status"], (r["error"] or {}).get("code")) for r in result["results"]] == [
        (status, code) for _, status, code in items]
    assert (result["created"], result["refused"]) == (2, 5)
    made = [r["billing"] for r in result["results"] if r["status"] == 201]
    assert [(b["kap_kjs"], b["amount"], b["origin"], b["status"]) for b in made] == [
        ("411211-100", "1100000", "mandiri", "active"), ("411618-100", "2000000", "mandiri", "active")]
    assert await world.scalar("SELECT count(*) FROM billing WHERE npwp IN (:n, :o)", n=npwp, o=other) == 2
    for billing in made:
        [(key, event)] = await world.events("BillingCreated", code=billing["code"])
        assert key == npwp and isinstance(event, BillingCreated) and event.amount == billing["amount"]
        own = await world.http.get(f"/v1/billing-codes/{billing['code']}", headers=taxpayer_token(npwp))
        assert own.json() == billing

    again = await world.http.post("/v1/billing-codes/batch", headers=headers,
                                  json={"items": [body for body, _, _ in items]})
    assert again.json() == result and again.headers.get("idempotent-replayed") == "true"
    assert await world.scalar("SELECT count(*) FROM billing WHERE npwp = :n", n=npwp) == 2

    for body, status, code in [({"items": []}, 422, "request.invalid"),
                               ({"items": [mandiri_body(npwp)] * 1001}, 422, "request.invalid")]:
        refused = await world.http.post("/v1/billing-codes/batch", headers=taxpayer_token(npwp), json=body)
        assert (refused.status_code, refused.json()["code"]) == (status, code)


async def test_single_requests_arriving_together_each_get_their_own_code_answer_and_event(world: World) -> None:
    npwp = random_npwp()
    token = taxpayer_token(npwp)  # one caller: a key is the caller's
    keys = [f"together-{i}" for i in range(30)]
    correlations = [f"pjap-call-{uuid.uuid4().hex[:8]}" for _ in keys]

    async def create(key: str | None, cid: str, amount: int) -> Any:
        headers = {**token, "x-correlation-id": cid, **({"Idempotency-Key": key} if key else {})}
        return await world.http.post("/v1/billing-codes", headers=headers, json=mandiri_body(npwp, amount=amount))

    # 30 keys, each sent twice at once, and 10 requests without a key, all together
    calls = [create(key, cid, 100_000 + i) for i, (key, cid) in enumerate(zip(keys, correlations, strict=True))]
    calls += [create(key, cid, 100_000 + i) for i, (key, cid) in enumerate(zip(keys, correlations, strict=True))]
    calls += [create(None, f"keyless-{i}", 500_000 + i) for i in range(10)]
    answers = await asyncio.gather(*calls)
    assert {r.status_code for r in answers} == {201}, [r.text for r in answers if r.status_code != 201]
    for i in range(30):
        first, second = answers[i], answers[30 + i]
        assert first.json() == second.json() and first.json()["amount"] == str(100_000 + i)
    assert len({r.json()["code"] for r in answers}) == 40
    assert await world.scalar("SELECT count(*) FROM billing WHERE npwp = :n", n=npwp) == 40
    assert sum(r.headers.get("idempotent-replayed") == "true" for r in answers) == 30
    for answer, cid in zip(answers[:30], correlations, strict=True):
        code = answer.json()["code"]
        assert len(await world.events("BillingCreated", code=code)) == 1
        assert await world.scalar("SELECT payload->>'correlation_id' FROM outbox WHERE event_type = 'BillingCreated' "
                                  "AND payload->'data'->>'billing_code' = :c", c=code) == cid
    # A key's answer is stored: later it is replayed, another body under it is refused.
    replay = await create(keys[0], "later", 100_000)
    assert replay.json() == answers[0].json() and replay.headers.get("idempotent-replayed") == "true"
    reused = await create(keys[0], "later", 1)
    assert (reused.status_code, reused.json()["code"]) == (422, "idempotency.key_reused")
