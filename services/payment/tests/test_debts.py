"""Debts on the real database and broker: recorded once from filing's STPIssued and SKPIssued (a liability in the
ledger, DebtRecorded with the debt's version), listed for their taxpayer in keyset pages, paid with a billing code
made from the debt (Idempotency-Key; one payable code at a time), and settled by that code's confirmation
(DebtSettled; the payment settles the recorded liability instead of recording another)."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from contracts.envelope import Envelope
from contracts.payment import DebtRecorded, DebtSettled, PaymentConfirmed
from kit.testing.events import envelope_for, outbox_envelopes, random_npwp
from kit.testing.service import deliver
from payment.billing.errors import AssessmentNumberNotApplicable
from payment.debts.errors import AssessmentAlreadyRecorded
from payment.debts.service import record_from_stp
from payment.ledger.service import audit_ledger
from payment.settings import PaymentSettings
from payment.worker import CONSUMERS
from services.payment.tests.conftest import World
from services.payment.tests.factories import skp_issued, stp_issued, taxpayer_token

[FILING_EVENTS] = [spec for spec in CONSUMERS if spec.purpose == "filing-events"]


async def debt_envelopes(world: World, event_type: str, debt_id: str) -> list[tuple[str, Envelope, Any]]:
    async with world.sessions() as session:
        return await outbox_envelopes(session, event_type=event_type, subjects=[debt_id])


async def debts_of(world: World, npwp: str, **params: Any) -> dict[str, Any]:
    response = await world.http.get("/v1/debts", headers=taxpayer_token(npwp, scopes=("payment:read",)),
                                    params=params)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_an_stp_and_an_skp_become_debts_once_with_their_liabilities(world: World,
                                                                          settings: PaymentSettings) -> None:
    npwp = random_npwp()
    stp = stp_issued(npwp, amount="500000", issued_on=date(2026, 11, 2), due_date=date(2026, 12, 2))
    skp = skp_issued(npwp, total="11800000", issued_on=date(2026, 1, 31))
    nothing_to_pay = skp_issued(npwp, kind="SKPLB", kap_kjs=None, total="2500000")
    # The STP twice as two events (filing published it again), the SKP redelivered (the same envelope).
    skp_envelope = envelope_for(skp, key=npwp)
    await deliver(settings, FILING_EVENTS, [(npwp, stp, 1), (npwp, stp, 1), skp_envelope, skp_envelope,
                                            (npwp, nothing_to_pay, 1)])

    page = await debts_of(world, npwp)
    assert page["next_cursor"] is None
    by_source = {d["source"]: d for d in page["items"]}
    assert sorted(by_source) == ["skp", "stp"]
    stp_debt, skp_debt = by_source["stp"], by_source["skp"]
    assert {k: stp_debt[k] for k in ("kind", "kap_kjs", "kap_name", "period", "assessment_number", "amount",
                                     "issued_on", "due_date", "status", "legacy", "source_reference", "billing",
                                     "ntpn")} == {
        "kind": "stp", "kap_kjs": "411211-300", "kap_name": "PPN Dalam Negeri", "period": "2026-09",
        "assessment_number": stp.stp_number, "amount": "500000", "issued_on": "2026-11-02",
        "due_date": "2026-12-02", "status": "open", "legacy": False, "source_reference": stp.stp_id,
        "billing": None, "ntpn": None}
    # The SKP's event gives no due date: 1 month after issue (31 Jan -> 28 Feb).
    assert (skp_debt["kind"], skp_debt["kap_kjs"], skp_debt["amount"], skp_debt["due_date"]) == (
        "skpkb", "411126-310", "11800000", "2026-02-28")

    [(key, envelope, recorded)] = await debt_envelopes(world, "DebtRecorded", stp_debt["id"])
    assert key == npwp and envelope.sequence == 1 and isinstance(recorded, DebtRecorded)
    assert (recorded.kind, recorded.amount, recorded.assessment_number, recorded.legacy,
            recorded.source_reference) == ("stp", "500000", stp.stp_number, False, stp.stp_id)
    assert len(await debt_envelopes(world, "DebtRecorded", skp_debt["id"])) == 1

    # The ledger owes both, each under its KAP-KJS and STP/SKP number, recorded on the day of issue.
    ledger = (await world.http.get("/v1/ledger", headers=taxpayer_token(npwp, scopes=("payment:read",)))).json()
    assert ledger["owed"] == "12300000"
    assert sorted((i["kap_kjs"], i["assessment_number"], i["liabilities"], i["balance"]) for i in ledger["items"]) == [
        ("411126-310", skp.skp_number, "11800000", "11800000"),
        ("411211-300", stp.stp_number, "500000", "500000")]
    recorded_on = await world.scalar("SELECT effective_at FROM transfer WHERE reference = :d", d=stp_debt["id"])
    assert recorded_on.astimezone(UTC) == datetime(2026, 11, 1, 17, tzinfo=UTC)  # 2 Nov 00:00 WIB
    assert (await audit_ledger(world.uow())).problems == []


async def test_a_debt_is_paid_with_its_own_code_and_the_payment_settles_it(world: World,
                                                                          settings: PaymentSettings) -> None:
    npwp = random_npwp()
    stp = stp_issued(npwp, amount="750000")
    await deliver(settings, FILING_EVENTS, [(npwp, stp, 1)])
    [debt] = (await debts_of(world, npwp))["items"]
    path = f"/v1/debts/{debt['id']}/billing-code"

    headers = {**taxpayer_token(npwp), "Idempotency-Key": f"bayar-{debt['id']}"}
    first = await world.http.post(path, headers=headers)
    assert first.status_code == 201, first.text
    code = first.json()
    assert (code["origin"], code["debt_id"], code["kap_kjs"], code["assessment_number"], code["period"],
            code["amount"], code["status"]) == ("bill", debt["id"], "411211-300", stp.stp_number, None, "750000",
                                                "active")
    replay = await world.http.post(path, headers=headers)
    assert replay.json() == code and replay.headers.get("idempotent-replayed") == "true"
    # Asked again without the key (another tab): the same payable code, never a second one.
    again = await world.http.post(path, headers=taxpayer_token(npwp))
    assert (again.status_code, again.json()["code"]) == (201, code["code"])
    assert await world.scalar("SELECT count(*) FROM billing WHERE debt_id = :d", d=debt["id"]) == 1
    [(_, created)] = await world.events("BillingCreated", code=code["code"])
    assert (created.origin, created.debt_id) == ("bill", debt["id"])  # type: ignore[attr-defined]
    listed = (await debts_of(world, npwp))["items"][0]["billing"]
    assert (listed["code"], listed["status"]) == (code["code"], "active")

    paid_at = datetime.now(UTC).replace(microsecond=0)
    paid = await world.pay(code["code"], "750000", reference=f"DEBT-{debt['id']}", paid_at=paid_at)
    assert paid.status_code == 201, paid.text
    ntpn = paid.json()["ntpn"]
    [(_, confirmed)] = await world.events("PaymentConfirmed", code=code["code"])
    assert isinstance(confirmed, PaymentConfirmed)
    assert (confirmed.settles, confirmed.debt_id, confirmed.assessment_number) == ("debt", debt["id"],
                                                                                    stp.stp_number)
    [(key, envelope, settled)] = await debt_envelopes(world, "DebtSettled", debt["id"])
    assert key == npwp and envelope.sequence == 2 and isinstance(settled, DebtSettled)
    assert (settled.amount, settled.ntpns, settled.settled_at) == ("750000", [ntpn], paid_at)

    # The payment settled the liability recorded with the debt: one transfer, nothing recorded twice.
    transfers = await world.rows("SELECT code, amount FROM transfer WHERE reference IN (:d, :n) ORDER BY code",
                                 d=debt["id"], n=ntpn)
    assert [(t["code"], t["amount"]) for t in transfers] == [(1, 750000), (2, 750000)]
    ledger = (await world.http.get("/v1/ledger", headers=taxpayer_token(npwp, scopes=("payment:read",)))).json()
    assert ledger["owed"] == "0"
    [line] = ledger["items"]
    assert (line["liabilities"], line["payments"], line["balance"]) == ("750000", "750000", "0")

    after = (await debts_of(world, npwp))["items"][0]
    assert (after["status"], after["ntpn"], after["billing"]["status"]) == ("settled", ntpn, "paid")
    assert datetime.fromisoformat(after["settled_at"]) == paid_at
    assert (await debts_of(world, npwp, status="open"))["items"] == []
    settled_again = await world.http.post(path, headers=taxpayer_token(npwp))
    assert (settled_again.status_code, settled_again.json()["code"]) == (409, "debt.already_settled")
    # The bank retrying its confirmation changes nothing.
    retried = await world.pay(code["code"], "750000", reference=f"DEBT-{debt['id']}", paid_at=paid_at)
    assert (retried.status_code, retried.json()["ntpn"]) == (200, ntpn)
    assert len(await debt_envelopes(world, "DebtSettled", debt["id"])) == 1
    assert (await audit_ledger(world.uow())).problems == []


async def test_an_expired_code_of_a_debt_gives_way_to_a_new_one(world: World, settings: PaymentSettings) -> None:
    npwp = random_npwp()
    await deliver(settings, FILING_EVENTS, [(npwp, stp_issued(npwp), 1)])
    [debt] = (await debts_of(world, npwp))["items"]
    path = f"/v1/debts/{debt['id']}/billing-code"
    old = (await world.http.post(path, headers=taxpayer_token(npwp))).json()
    await world.backdate(old["code"])  # past its validity, and the worker has not marked it yet

    new = await world.http.post(path, headers=taxpayer_token(npwp))
    assert new.status_code == 201, new.text
    assert new.json()["code"] != old["code"] and new.json()["status"] == "active"
    [(_, expired)] = await world.events("BillingExpired", code=old["code"])
    assert expired.debt_id == debt["id"]  # type: ignore[attr-defined]
    assert await world.scalar("SELECT status FROM billing WHERE code = :c", c=old["code"]) == "expired"
    stale = await world.pay(old["code"], "500000", reference=f"OLD-{debt['id']}")
    assert (stale.status_code, stale.json()["code"]) == (409, "confirmation.billing_expired")
    assert (await world.pay(new.json()["code"], "500000", reference=f"NEW-{debt['id']}")).status_code == 201
    assert (await debts_of(world, npwp))["items"][0]["status"] == "settled"


async def test_debts_are_their_taxpayer_s_only_and_come_in_keyset_pages(world: World,
                                                                       settings: PaymentSettings) -> None:
    npwp = random_npwp()
    stps = [stp_issued(npwp, amount=str(100000 * (i + 1))) for i in range(5)]
    await deliver(settings, FILING_EVENTS, [(npwp, stp, 1) for stp in stps])
    seen, cursor = [], None
    while True:
        page = await debts_of(world, npwp, limit=2, **({"cursor": cursor} if cursor else {}))
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(d["source_reference"] for d in seen) == sorted(s.stp_id for s in stps)
    assert len({d["id"] for d in seen}) == 5

    debt_id = seen[0]["id"]
    stranger = taxpayer_token(random_npwp())
    for method, path in [("GET", f"/v1/debts/{debt_id}"), ("POST", f"/v1/debts/{debt_id}/billing-code")]:
        response = await world.http.request(method, path, headers=stranger)
        assert (response.status_code, response.json()["code"]) == (404, "debt.not_found"), path
    unknown = await world.http.get("/v1/debts/00000000-0000-4000-8000-000000000000", headers=taxpayer_token(npwp))
    assert (unknown.status_code, unknown.json()["code"]) == (404, "debt.not_found")
    own = await world.http.get(f"/v1/debts/{debt_id}", headers=taxpayer_token(npwp))
    assert own.status_code == 200 and own.json()["id"] == debt_id
    for headers, status, error in [({}, 401, "unauthorized"),
                                   (taxpayer_token(npwp, scopes=("payment:read",)), 403, "auth.missing_scope")]:
        refused = await world.http.post(f"/v1/debts/{debt_id}/billing-code", headers=headers)
        assert (refused.status_code, refused.json()["code"]) == (status, error)
    listed_by_stranger = await world.http.get("/v1/debts", headers=stranger, params={"npwp": npwp})
    assert (listed_by_stranger.status_code, listed_by_stranger.json()["code"]) == (403, "auth.taxpayer_forbidden")
    assert await world.scalar("SELECT count(*) FROM billing WHERE debt_id = :d", d=debt_id) == 0


async def test_an_stp_the_rules_refuse_or_a_number_recorded_before_raises_and_records_nothing(
        world: World, settings: PaymentSettings) -> None:
    """Raised in the consumer's transaction, the reason sends the event to the dead letters (kit's consumer)."""
    npwp = random_npwp()
    bad = stp_issued(npwp, kap_kjs="411211-100")  # a masa KJS: it pays no STP
    async with world.sessions() as session:
        with pytest.raises(AssessmentNumberNotApplicable):
            await record_from_stp(session, Envelope.model_validate(envelope_for(bad, key=npwp)), bad)

    first = stp_issued(npwp)
    await deliver(settings, FILING_EVENTS, [(npwp, first, 1)])
    same_number = stp_issued(npwp, stp_number=first.stp_number)  # another STP id with the same number
    async with world.sessions() as session:
        with pytest.raises(AssessmentAlreadyRecorded):
            await record_from_stp(session, Envelope.model_validate(envelope_for(same_number, key=npwp)),
                                  same_number)
    assert await world.scalar("SELECT count(*) FROM debt WHERE npwp = :n", n=npwp) == 1


async def test_a_skp_without_a_due_date_is_due_a_month_after_issue(world: World, settings: PaymentSettings) -> None:
    npwp = random_npwp()
    skp = skp_issued(npwp, kind="SKPKBT", kap_kjs="411211-320", total="2000000", issued_on=date(2026, 3, 31),
                     due_date=None, period="2025-12")
    await deliver(settings, FILING_EVENTS, [(npwp, skp, 1)])
    [debt] = (await debts_of(world, npwp))["items"]
    assert (debt["kind"], debt["due_date"], debt["period"]) == ("skpkbt", "2026-04-30", "2025-12")
    assert date.fromisoformat(debt["due_date"]) - date(2026, 3, 31) == timedelta(days=30)


async def test_concurrent_requests_make_one_code_and_concurrent_confirmations_settle_once(
        world: World, settings: PaymentSettings) -> None:
    npwp = random_npwp()
    await deliver(settings, FILING_EVENTS, [(npwp, stp_issued(npwp, amount="310000"), 1)])
    [debt] = (await debts_of(world, npwp))["items"]
    made = await asyncio.gather(*(world.http.post(f"/v1/debts/{debt['id']}/billing-code",
                                                  headers=taxpayer_token(npwp)) for _ in range(5)))
    assert {r.status_code for r in made} == {201}, [r.text for r in made]
    [code] = {r.json()["code"] for r in made}
    assert await world.scalar("SELECT count(*) FROM billing WHERE debt_id = :d", d=debt["id"]) == 1

    paid_at = datetime.now(UTC).replace(microsecond=0)
    paid = await asyncio.gather(*(world.pay(code, "310000", reference=f"PAR-{debt['id']}", paid_at=paid_at)
                                  for _ in range(10)))
    assert sorted(r.status_code for r in paid) == [200] * 9 + [201]
    assert len(await debt_envelopes(world, "DebtSettled", debt["id"])) == 1
    assert await world.scalar("SELECT version FROM debt WHERE id = :d", d=debt["id"]) == 2
    assert (await audit_ledger(world.uow())).problems == []
