"""An annual SPT's PPh 29 in instalments (tax-rules §6.5, PMK-81/2024 Art 114), through payment's API on the real
database: with "Bayar dan Lapor" the SPT waits for its code to be paid, so the taxpayer applies naming the SPT
(decision in 3 working days); granted, the PPh 29 becomes a debt due by the annual filing deadline, recorded from the
SPT's code, which expires (after InstalmentGranted, which names the SPT), and the schedule is paid code by code.
Rejected, or refused, nothing changes: the SPT's code stays payable."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest

from contracts.envelope import Envelope
from contracts.filing import SPTPaymentRequested
from contracts.payment import BillingExpired, DebtRecorded, DebtSettled, InstalmentGranted
from kit.testing.events import envelope_for, random_npwp
from payment.billing.service import create_spt_billing
from payment.instalments.workdays import add_working_days
from payment.ledger.service import audit_ledger
from services.payment.tests.conftest import TODAY, World
from services.payment.tests.factories import taxpayer_token
from services.payment.tests.helpers_debts import read_debt
from services.payment.tests.test_instalments import apply, decide, instalment_code, pay

# PPh 29 of 2025 falls due on 31 March or 30 April 2026: those KMK months (synthetic, as published by filing)
pytestmark = pytest.mark.usefixtures("kmk_months_published")


async def spt_waiting_for(world: World, npwp: str, *, amount: str = "3000000", kap_kjs: str = "411125-200",
                          form: str = "spt_tahunan_op", period: str = "2025") -> tuple[str, dict[str, Any]]:
    """An SPT submitted with a kurang bayar at filing: payment's code for it (filing's SPTPaymentRequested,
    applied as the consumer does), as the taxpayer reads it."""
    spt_id = str(uuid.uuid4())
    request = SPTPaymentRequested(spt_id=spt_id, npwp=npwp, form=form, period=period, spt_version=0, kap_kjs=kap_kjs,
                                  amount=amount, payment_due_date=date(2026, 3, 31),
                                  requested_at=datetime.now(UTC))
    async with world.sessions() as session, session.begin():
        await create_spt_billing(session, Envelope.model_validate(envelope_for(request, key=npwp)), request)
    [code] = (await world.http.get("/v1/billing-codes", params={"spt_id": spt_id},
                                   headers=taxpayer_token(npwp))).json()["items"]
    return spt_id, code


async def outbox_order(world: World, npwp: str) -> list[str]:
    return [r["event_type"] for r in await world.rows(
        "SELECT event_type FROM outbox WHERE key = :k ORDER BY seq", k=npwp)]


async def test_pph29_granted_in_instalments_becomes_a_debt_and_the_spts_code_expires(world: World) -> None:
    npwp = random_npwp()
    spt_id, spt_code = await spt_waiting_for(world, npwp)
    # the return was submitted on 20 Mar 2026, before its PPh 29 fell due (31 Mar)
    await world.execute("UPDATE billing SET created_at = '2026-03-20T09:00:00+07:00' WHERE code = :c",
                        c=spt_code["code"])

    terms = dict(spt_id=spt_id, kind="instalment", instalments=3)
    same_request = {**taxpayer_token(npwp), "Idempotency-Key": f"pph29-{spt_id}"}
    applied = await apply(world, npwp, same_request, **terms)
    assert applied.status_code == 201, applied.text
    a = applied.json()
    assert (a["status"], a["debt_id"], a["spt_id"], a["debt_kind"], a["principal"], a["decide_by"]) == (
        "applied", None, spt_id, "pph29", "3000000", add_working_days(TODAY, 3).isoformat())
    replay = await apply(world, npwp, same_request, **terms)
    assert replay.json() == a and replay.headers.get("idempotent-replayed") == "true"
    again = await apply(world, npwp, **terms)
    assert (again.status_code, again.json()["code"]) == (409, "instalment.already_applied")
    not_yet = await instalment_code(world, npwp, a["id"], 1)
    assert (not_yet.status_code, not_yet.json()["code"]) == (409, "instalment.not_granted")
    assert await world.scalar("SELECT count(*) FROM debt WHERE source_reference = :s", s=spt_id) == 0
    assert (await world.http.get(f"/v1/billing-codes/{spt_code['code']}",
                                 headers=taxpayer_token(npwp))).json()["status"] == "active"

    granted = await decide(world, a["id"], decision="approve")
    assert granted.status_code == 201, granted.text
    g = granted.json()
    # Due 31 Mar 2026 (3 months after the tax year, a working day); the first instalment a month after the
    # application (the due date is past); Art 19(2) tier 1 (0.51%/month, the due date's month: synthetic March 2026) on the
    # balance still owed, counted from the due date: 10, 1 and 1 months.
    assert (g["status"], g["monthly_rate_percent"], g["spt_id"]) == ("granted", "0.51", spt_id)
    assert [(i["number"], i["due_date"], i["principal"], i["interest"], i["total"]) for i in g["schedule"]] == [
        (1, "2027-01-07", "1000000", "153000", "1153000"),
        (2, "2027-02-07", "1000000", "10200", "1010200"),
        (3, "2027-03-07", "1000000", "5100", "1005100")]
    debt = await read_debt(world, npwp, g["debt_id"])
    assert (debt["kind"], debt["source"], debt["source_reference"], debt["kap_kjs"], debt["period"],
            debt["assessment_number"], debt["amount"], debt["outstanding"], debt["issued_on"], debt["due_date"]) == (
        "spt_underpayment", "spt", spt_id, "411125-200", "2025", None, "3000000", "3168300", "2026-03-20",
        "2026-03-31")

    # The debt recorded, the grant naming the SPT, then the SPT's code expired: in that order, so filing learns of
    # the grant before the expiry. The code can no longer be paid whole.
    order = await outbox_order(world, npwp)
    assert order[-3:] == ["DebtRecorded", "InstalmentGranted", "BillingExpired"], order
    [(_, recorded)] = await world.events("DebtRecorded", npwp=npwp)
    assert isinstance(recorded, DebtRecorded) and (recorded.kind, recorded.source_reference, recorded.due_date) == (
        "spt_underpayment", spt_id, date(2026, 3, 31))
    [(_, grant)] = await world.events("InstalmentGranted", npwp=npwp)
    assert isinstance(grant, InstalmentGranted) and (grant.spt_id, grant.debt_id, grant.debt_kind) == (
        spt_id, g["debt_id"], "pph29")
    [(_, expired)] = await world.events("BillingExpired", code=spt_code["code"])
    assert isinstance(expired, BillingExpired) and (expired.origin, expired.spt_id) == ("spt", spt_id)
    late = await world.pay(spt_code["code"], spt_code["amount"], reference=f"SPT-{spt_code['code']}")
    assert (late.status_code, late.json()["code"]) == (409, "confirmation.billing_expired")
    assert (await audit_ledger(world.uow())).problems == []

    ntpns = []
    for number in (1, 2, 3):
        made = await instalment_code(world, npwp, a["id"], number)
        assert made.status_code == 201, made.text
        code = made.json()
        assert (code["origin"], code["debt_id"], code["kap_kjs"], code["period"], code["amount"]) == (
            "bill", g["debt_id"], "411125-200", "2025", g["schedule"][number - 1]["total"])
        ntpns.append(await pay(world, code))
    settled = await read_debt(world, npwp, g["debt_id"])
    assert (settled["status"], settled["outstanding"]) == ("settled", "0")
    [(_, done)] = await world.events("DebtSettled", npwp=npwp)
    assert isinstance(done, DebtSettled) and done.ntpns == ntpns
    ledger = (await world.http.get("/v1/ledger", headers=taxpayer_token(npwp))).json()
    [line] = ledger["items"]
    assert (ledger["owed"], line["kap_kjs"], line["period"], line["liabilities"], line["payments"]) == (
        "0", "411125-200", "2025", "3168300", "3168300")
    assert (await audit_ledger(world.uow())).problems == []
    # Nothing waits for a payment of this SPT any more.
    gone = await apply(world, npwp, **terms)
    assert (gone.status_code, gone.json()["code"]) == (404, "instalment.spt_not_found")


async def test_a_rejected_or_refused_pph29_application_leaves_the_spts_code_payable(world: World) -> None:
    npwp = random_npwp()
    headers = taxpayer_token(npwp)

    # Refused at once, nothing written.
    spt_id, code = await spt_waiting_for(world, npwp, amount="2000000", kap_kjs="411126-200",
                                         form="spt_tahunan_badan")
    masa_ppn_spt, _ = await spt_waiting_for(world, npwp, amount="500000", kap_kjs="411211-100",
                                            form="spt_masa_ppn", period="2026-10")
    for body, status, error in [
        (dict(spt_id=spt_id, debt_id=str(uuid.uuid4()), kind="instalment", instalments=2), 422,
         "instalment.request_invalid"),
        (dict(kind="instalment", instalments=2), 422, "instalment.request_invalid"),
        (dict(spt_id=str(uuid.uuid4()), kind="instalment", instalments=2), 404, "instalment.spt_not_found"),
        (dict(spt_id=masa_ppn_spt, kind="instalment", instalments=2), 404, "instalment.spt_not_found"),  # not PPh 29
        (dict(spt_id=spt_id, kind="instalment", instalments=13), 422, "instalment.term_too_long"),
    ]:
        refused = await apply(world, npwp, headers, **body)
        assert (refused.status_code, refused.json()["code"]) == (status, error), (body, refused.text)
    elsewhere = await apply(world, random_npwp(), spt_id=spt_id, kind="postponement", postponed_to="2027-01-29")
    assert (elsewhere.status_code, elsewhere.json()["code"]) == (404, "instalment.spt_not_found")
    assert await world.scalar("SELECT count(*) FROM instalment_arrangement WHERE spt_id = :s", s=spt_id) == 0

    # Rejected: no debt, no expiry; the taxpayer pays the SPT's code as before ("Bayar dan Lapor").
    applied = (await apply(world, npwp, spt_id=spt_id, kind="postponement", postponed_to="2027-01-29")).json()
    assert (applied["debt_kind"], applied["decide_by"]) == ("pph29", add_working_days(TODAY, 3).isoformat())
    rejected = await decide(world, applied["id"], decision="reject", reason="Tidak ada bukti kesulitan likuiditas.")
    assert (rejected.status_code, rejected.json()["status"], rejected.json()["debt_id"]) == (201, "rejected", None)
    assert await world.events("BillingExpired", code=code["code"]) == []
    assert await world.scalar("SELECT count(*) FROM debt WHERE source_reference = :s", s=spt_id) == 0
    paid = await world.pay(code["code"], code["amount"], reference=f"SPT-{code['code']}")
    assert paid.status_code == 201, paid.text
    after_paid = await apply(world, npwp, spt_id=spt_id, kind="instalment", instalments=2)
    assert (after_paid.status_code, after_paid.json()["code"]) == (409, "instalment.spt_paid")

    # Paid while the application waited: it cannot be granted (the officer rejects it).
    paid_meanwhile, code2 = await spt_waiting_for(world, npwp, amount="1500000")
    waiting = (await apply(world, npwp, spt_id=paid_meanwhile, kind="instalment", instalments=2)).json()
    assert (await world.pay(code2["code"], code2["amount"], reference=f"SPT-{code2['code']}")).status_code == 201
    refused = await decide(world, waiting["id"], decision="approve")
    assert (refused.status_code, refused.json()["code"]) == (409, "instalment.spt_paid")

    # The SPT's code expired while the application waited (the SPT went back to draft at filing).
    lapsed, code3 = await spt_waiting_for(world, npwp, amount="1200000")
    waiting = (await apply(world, npwp, spt_id=lapsed, kind="instalment", instalments=2)).json()
    await world.backdate(code3["code"])
    refused = await decide(world, waiting["id"], decision="approve")
    assert (refused.status_code, refused.json()["code"]) == (409, "instalment.spt_not_awaiting_payment")
    assert (await world.http.get(f"/v1/instalments/{waiting['id']}", headers=headers)).json()["status"] == "applied"
    assert await world.scalar("SELECT count(*) FROM debt WHERE npwp = :n", n=npwp) == 0
    assert (await audit_ledger(world.uow())).problems == []
