"""Art 19 interest on unpaid debts, reported to filing (`DebtInterestAccrued`, tier 1, a part month in full, at the
KMK rate of the due date's month, never another month's), and a self-assessed code naming an open debt's STP/SKP
number, which pays that debt: the debt's own code, for what it still owes, so the payment settles the debt instead
of recording a second liability. A debt due in a month without a KMK rate waits for it: `test_reference.py`, and a
legacy import's million-debt shape in `test_debt_interest_waiting.py`."""

from __future__ import annotations

from datetime import date

from contracts.payment import DebtInterestAccrued
from kit.testing.events import outbox_envelopes, random_npwp
from payment.debts.service import accrue_debt_interest
from payment.ledger.service import audit_ledger
from services.payment.tests.conftest import World
from services.payment.tests.factories import mandiri_body, taxpayer_token
from services.payment.tests.helpers_debts import read_debt, record_stp


async def interest_events(world: World, debt_id: str) -> list[tuple[int, DebtInterestAccrued]]:
    async with world.sessions() as session:
        found = await outbox_envelopes(session, event_type="DebtInterestAccrued", subjects=[debt_id])
    return [(envelope.sequence, event) for _, envelope, event in found]  # type: ignore[misc]


async def test_interest_is_reported_once_per_month_counted_until_the_debt_is_paid(world: World) -> None:
    npwp = random_npwp()
    debt = await record_stp(world, npwp, amount="1000000", period="2025-08", issued_on=date(2025, 9, 1),
                            due_date=date(2025, 10, 1))
    not_yet = await record_stp(world, npwp, amount="300000", period="2025-11", issued_on=date(2025, 12, 1),
                               due_date=date(2026, 1, 1))

    await accrue_debt_interest(world.uow(), batch=10_000, today=date(2025, 12, 6))
    # 1 Oct to 6 Dec: two months and a part month, counted in full; tier 1 of October 2025 (KMK 7/MK/EF/2025) is
    # 0.53%, for every month counted (the rate of the month the interest starts in).
    [(sequence, first)] = await interest_events(world, debt["id"])
    assert (sequence, first.months, first.monthly_rate_percent, first.principal, first.interest, first.as_of,
            first.interest_from, first.assessment_number) == (
        2, 3, "0.53", "1000000", "15900", date(2025, 12, 6), date(2025, 10, 1), debt["assessment_number"])
    assert await interest_events(world, not_yet["id"]) == []
    await accrue_debt_interest(world.uow(), batch=10_000, today=date(2026, 1, 1))  # no new month yet
    assert len(await interest_events(world, debt["id"])) == 1
    await accrue_debt_interest(world.uow(), batch=10_000, today=date(2026, 1, 2))
    [_, (sequence, second)] = await interest_events(world, debt["id"])
    assert (sequence, second.months, second.interest) == (3, 4, "21200")
    [(_, due_day)] = await interest_events(world, not_yet["id"])
    assert (due_day.months, due_day.monthly_rate_percent, due_day.interest) == (1, "0.52", "1560")  # January 2026

    # A mandiri code naming the STP number pays the debt: for what it still owes, or refused.
    body = mandiri_body(npwp, kap_kjs="411211-300", period=None, assessment_number=debt["assessment_number"])
    wrong = await world.http.post("/v1/billing-codes", headers=taxpayer_token(npwp), json={**body, "amount": "999"})
    assert (wrong.status_code, wrong.json()["code"], wrong.json()["details"]["outstanding"]) == (
        422, "debt.amount_not_outstanding", "1000000")
    assert await world.scalar("SELECT count(*) FROM billing WHERE npwp = :n", n=npwp) == 0
    made = await world.http.post("/v1/billing-codes", headers=taxpayer_token(npwp), json={**body, "amount": "1000000"})
    assert made.status_code == 201, made.text
    code = made.json()
    assert (code["origin"], code["debt_id"], code["amount"]) == ("bill", debt["id"], "1000000")
    same = await world.http.post("/v1/billing-codes", headers=taxpayer_token(npwp), json={**body, "amount": "1000000"})
    assert same.json()["code"] == code["code"]  # one payable code per debt, however it is asked for
    paid = await world.pay(code["code"], "1000000", reference=f"NAMED-{code['code']}")
    assert paid.status_code == 201, paid.text
    after = await read_debt(world, npwp, debt["id"])
    assert (after["status"], after["ntpn"]) == ("settled", paid.json()["ntpn"])
    settled_again = await world.http.post("/v1/billing-codes", headers=taxpayer_token(npwp),
                                          json={**body, "amount": "1000000"})
    assert (settled_again.status_code, settled_again.json()["code"]) == (409, "debt.already_settled")
    ledger = (await world.http.get("/v1/ledger", headers=taxpayer_token(npwp))).json()
    assert ledger["owed"] == "300000"  # the other STP; the paid one's liability settled, not recorded twice

    await accrue_debt_interest(world.uow(), batch=10_000, today=date(2026, 6, 1))  # paid: its interest stops
    assert len(await interest_events(world, debt["id"])) == 2
    assert (await audit_ledger(world.uow())).problems == []
