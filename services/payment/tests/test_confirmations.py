"""Bank confirmations through the API on the real database: inquiry, an NTPN per payment, retries (sequential and
ten at once) answered with the same NTPN and changing nothing, one ledger posting and one PaymentConfirmed per
payment, and every refusal with its stable code and nothing written."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

from contracts.payment import PaymentConfirmed
from kit.testing.events import random_npwp
from payment.ledger.service import audit_ledger
from services.payment.tests.conftest import World
from services.payment.tests.factories import bank_token, registered_taxpayer, taxpayer_token

WIB = timezone(timedelta(hours=7))


async def test_inquiry_shows_what_the_code_pays_and_for_whom(world: World) -> None:
    npwp = await registered_taxpayer(world.sessions, name="PT Maju Bayar")
    code = (await world.new_code(npwp, kap_kjs="411126-100", period="2026-10", amount="2500000"))["code"]
    response = await world.http.get(f"/v1/bank/billing-codes/{code}", headers=bank_token())
    assert response.status_code == 200, response.text
    body = response.json()
    assert {k: body[k] for k in ("billing_code", "npwp", "taxpayer_name", "kap_kjs", "kap_name", "period", "amount",
                                 "status")} == {
        "billing_code": code, "npwp": npwp, "taxpayer_name": "PT Maju Bayar", "kap_kjs": "411126-100",
        "kap_name": "PPh Badan", "period": "2026-10", "amount": "2500000", "status": "active"}

    # A taxpayer the registry replica does not know yet: the code is still payable, the name is unknown.
    unknown = (await world.new_code())["code"]
    assert (await world.http.get(f"/v1/bank/billing-codes/{unknown}", headers=bank_token())).json()[
        "taxpayer_name"] is None

    for path, headers, status, error in [
        ("/v1/bank/billing-codes/012345678901234", bank_token(), 404, "billing.not_found"),
        ("/v1/bank/billing-codes/51234567890123x", bank_token(), 422, "billing.code_invalid"),
        (f"/v1/bank/billing-codes/{code}", {}, 401, "unauthorized"),
        (f"/v1/bank/billing-codes/{code}", taxpayer_token(npwp), 403, "auth.bank_client_required"),
        (f"/v1/bank/billing-codes/{code}", bank_token(kind="internal"), 403, "auth.bank_client_required"),
        (f"/v1/bank/billing-codes/{code}", bank_token(scopes=("payment:read",)), 403, "auth.missing_scope"),
    ]:
        refused = await world.http.get(path, headers=headers)
        assert (refused.status_code, refused.json()["code"]) == (status, error), path


async def test_a_payment_gets_an_ntpn_one_posting_one_event_and_a_retry_changes_nothing(world: World) -> None:
    npwp = random_npwp()
    code = (await world.new_code(npwp, kap_kjs="411121-100", period="2026-10", amount="3250000"))["code"]
    paid_at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=2)

    first = await world.pay(code, "3250000", reference="BRI-0001", paid_at=paid_at)
    assert first.status_code == 201, first.text
    receipt = first.json()
    ntpn = receipt["ntpn"]
    assert len(ntpn) == 16 and ntpn.isalnum() and ntpn == ntpn.upper()
    assert (receipt["billing_code"], receipt["amount"], receipt["kap_kjs"], receipt["period"],
            datetime.fromisoformat(receipt["paid_at"])) == (code, "3250000", "411121-100", "2026-10", paid_at)

    again = await world.pay(code, 3250000, reference="BRI-0001", paid_at=paid_at.astimezone(WIB))
    assert again.status_code == 200 and again.json() == receipt

    own = (await world.http.get(f"/v1/billing-codes/{code}", headers=taxpayer_token(npwp))).json()
    assert (own["status"], own["ntpn"], datetime.fromisoformat(own["paid_at"])) == ("paid", ntpn, paid_at)
    inquiry = (await world.http.get(f"/v1/bank/billing-codes/{code}", headers=bank_token())).json()
    assert inquiry["status"] == "paid"

    assert await world.scalar("SELECT count(*) FROM payment WHERE billing_code = :c", c=code) == 1
    transfers = await world.rows("SELECT code, amount, effective_at FROM transfer WHERE reference = :n ORDER BY code",
                                 n=ntpn)
    assert [(t["code"], t["amount"], t["effective_at"]) for t in transfers] == [
        (1, 3250000, paid_at), (2, 3250000, paid_at)]  # liability recorded, then paid by the bank

    [(key, event)] = await world.events("PaymentConfirmed", code=code)
    assert key == npwp and isinstance(event, PaymentConfirmed)
    assert (event.ntpn, event.kap_kjs, event.period, event.amount, event.paid_at, event.bank_code,
            event.bank_reference, event.settles) == (ntpn, "411121-100", "2026-10", "3250000", paid_at, "bank-bri",
                                                     "BRI-0001", "self_assessed")
    assert await world.sequences("PaymentConfirmed", code) == [2]  # the code's version: created 1, paid 2
    assert (await audit_ledger(world.uow())).problems == []


async def test_ten_identical_confirmations_at_once_make_one_payment_one_posting_one_event(world: World) -> None:
    code = (await world.new_code(amount="987000"))["code"]
    paid_at = datetime.now(UTC).replace(microsecond=0)
    responses = await asyncio.gather(*(world.pay(code, "987000", reference="MANDIRI-77", paid_at=paid_at,
                                                 bank="bank-mandiri") for _ in range(10)))
    assert sorted(r.status_code for r in responses) == [200] * 9 + [201], [r.text for r in responses]
    ntpns = {r.json()["ntpn"] for r in responses}
    assert len(ntpns) == 1
    [ntpn] = ntpns
    assert await world.scalar("SELECT count(*) FROM payment WHERE billing_code = :c", c=code) == 1
    assert await world.scalar("SELECT count(*) FROM transfer WHERE reference = :n", n=ntpn) == 2
    assert len(await world.events("PaymentConfirmed", code=code)) == 1
    assert await world.scalar("SELECT version FROM billing WHERE code = :c", c=code) == 2
    assert (await audit_ledger(world.uow())).problems == []


async def test_refused_confirmations_have_stable_codes_and_change_nothing(world: World) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    paid = (await world.new_code(amount="500000"))["code"]
    assert (await world.pay(paid, "500000", reference="BNI-1", paid_at=now)).status_code == 201
    open_code = (await world.new_code(amount="700000"))["code"]
    expired = (await world.new_code(amount="800000"))["code"]
    await world.backdate(expired)

    cases = [
        ("a second, different payment of a paid code", paid, "500000", "BNI-2", "bank-bri", now,
         409, "confirmation.already_paid"),
        ("another bank paying a paid code", paid, "500000", "X-1", "bank-bca", now, 409, "confirmation.already_paid"),
        ("the paid code's reference, another paid_at", paid, "500000", "BNI-1", "bank-bri", now - timedelta(hours=1),
         409, "confirmation.bank_reference_reused"),
        ("the paid code's reference for another code", open_code, "700000", "BNI-1", "bank-bri", now,
         409, "confirmation.bank_reference_reused"),
        ("less than the code's amount", open_code, "699999", "BRI-9", "bank-bri", now,
         422, "confirmation.amount_mismatch"),
        ("more than the code's amount", open_code, "700001", "BRI-9", "bank-bri", now,
         422, "confirmation.amount_mismatch"),
        ("paid tomorrow", open_code, "700000", "BRI-9", "bank-bri", now + timedelta(days=1),
         422, "confirmation.paid_at_invalid"),
        ("sen in the amount", open_code, "700000.50", "BRI-9", "bank-bri", now, 422, "billing.amount_invalid"),
        ("an expired code", expired, "800000", "BRI-10", "bank-bri", now, 409, "confirmation.billing_expired"),
        ("an unknown code", "012345678901234", "800000", "BRI-11", "bank-bri", now, 404, "billing.not_found"),
        ("not a DJP code", "712345678901234", "800000", "BRI-12", "bank-bri", now, 422, "billing.code_invalid"),
    ]
    for why, code, amount, reference, bank, paid_at, status, error in cases:
        response = await world.pay(code, amount, reference=reference, paid_at=paid_at, bank=bank)
        assert (response.status_code, response.json()["code"]) == (status, error), why

    malformed = await world.http.post("/v1/bank/payments", headers=bank_token(), json={
        "billing_code": open_code, "amount": 700000.0, "bank_reference": "BRI-13", "paid_at": now.isoformat()})
    assert (malformed.status_code, malformed.json()["code"]) == (422, "request.invalid")
    naive = await world.http.post("/v1/bank/payments", headers=bank_token(), json={
        "billing_code": open_code, "amount": "700000", "bank_reference": "BRI-14", "paid_at": "2026-12-01T10:00:00"})
    assert (naive.status_code, naive.json()["code"]) == (422, "request.invalid")
    not_a_bank = await world.http.post("/v1/bank/payments", headers=taxpayer_token(random_npwp()), json={
        "billing_code": open_code, "amount": "700000", "bank_reference": "BRI-15", "paid_at": now.isoformat()})
    assert (not_a_bank.status_code, not_a_bank.json()["code"]) == (403, "auth.bank_client_required")

    for code in (open_code, expired):
        assert await world.scalar("SELECT count(*) FROM payment WHERE billing_code = :c", c=code) == 0
        assert await world.events("PaymentConfirmed", code=code) == []
        assert await world.scalar("SELECT version FROM billing WHERE code = :c", c=code) == 1
    assert await world.scalar("SELECT count(*) FROM payment WHERE billing_code = :c", c=paid) == 1
    assert len(await world.events("PaymentConfirmed", code=paid)) == 1

    # The refused code is still payable in full.
    assert (await world.pay(open_code, "700000", reference="BRI-16", paid_at=now)).status_code == 201


async def test_a_deposit_code_tops_up_the_deposit(world: World) -> None:
    npwp = random_npwp()
    code = (await world.new_code(npwp, kap_kjs="411618-100", period=None, amount="2000000"))["code"]
    response = await world.pay(code, "2000000", reference="DEP-1")
    assert response.status_code == 201, response.text
    [(_, event)] = await world.events("PaymentConfirmed", code=code)
    assert event.settles == "deposit"  # type: ignore[attr-defined]
    assert await world.scalar("SELECT code FROM transfer WHERE reference = :n", n=response.json()["ntpn"]) == 3
    [(_, credited)] = await world.events("DepositCredited", npwp=npwp)
    assert (credited.route, credited.ntpn, credited.amount, credited.balance_after) == (  # type: ignore[attr-defined]
        "payment", response.json()["ntpn"], "2000000", "2000000")
