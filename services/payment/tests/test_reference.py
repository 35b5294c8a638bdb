"""payment's copy of the reference data filing's officers publish, delivered through the real broker to the group
`payment.filing-events`: kept once (a republished or stale revision changes nothing), then used by the working-day
and interest rules of every process after its refresh. Every list and rate here is synthetic test data, not a
decree (the days off of 2027, the rates of May 2031 and November 2026); each test removes what it kept and this
process reads again. Payment answers a month's rate only from that month's own KMK, as filing does: a month without
one is `debt.interest_rate_unknown` until it is published, never an earlier month's rate."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from contracts.envelope import Envelope
from contracts.filing import REFERENCE_KEY, InterestRatesPublished, PublishedDayOff, WorkingCalendarPublished
from kit.auth import JWKSCache
from kit.clock import FixedClock
from kit.db import UnitOfWork, create_engine, create_sessionmaker
from kit.testing.events import envelope_for, random_npwp
from kit.testing.service import api_client, deliver
from payment.debts.errors import InterestRateUnknown
from payment.debts.interest import monthly_rate
from payment.debts.service import accrue_debt_interest
from payment.instalments.errors import CalendarYearUnknown
from payment.instalments.workdays import add_working_days
from payment.main import create_app
from payment.reference.service import rates_published, refresh
from payment.settings import PaymentSettings
from payment.worker import CONSUMERS
from services.payment.tests.conftest import TODAY, World
from services.payment.tests.factories import MAKER, taxpayer_token
from services.payment.tests.helpers_debts import record_stp
from services.payment.tests.test_debt_interest import interest_events
from services.payment.tests.test_instalments import apply, decide

[FILING_EVENTS] = [spec for spec in CONSUMERS if spec.purpose == "filing-events"]
AT = datetime(2026, 12, 6, 3, tzinfo=UTC)


def calendar_2027(revision: int, *days: date) -> WorkingCalendarPublished:
    return WorkingCalendarPublished(
        year=2027, revision=revision, days=[PublishedDayOff(date=d, kind="cuti_bersama", name="Synthetic day off")
                                            for d in days],
        basis_number=f"TEST ONLY - synthetic revision {revision}", basis_signed_on=date(2026, 9, 30), published_at=AT)


MAY_2031 = InterestRatesPublished(month="2031-05", tier_1="0.11", tier_2="0.22", tier_3="0.33", tier_4="0.44",
                                  tier_5="0.55", imbalan_bunga="0.11", kmk_number="TEST ONLY - synthetic KMK",
                                  kmk_signed_on=date(2031, 4, 30), published_at=AT)
NOVEMBER_2026 = InterestRatesPublished(month="2026-11", tier_1="0.49", tier_2="0.90", tier_3="1.32", tier_4="1.74",
                                       tier_5="2.15", imbalan_bunga="0.49", kmk_number="TEST ONLY - synthetic KMK",
                                       kmk_signed_on=date(2026, 10, 30), published_at=AT)


@pytest.fixture
async def kept(settings: PaymentSettings) -> AsyncIterator[AsyncEngine]:
    """On the way out, what the test kept is removed and this process reads payment's database again."""
    engine = create_engine(settings.database, application_name="test.reference", pool_size=2)
    sessions = create_sessionmaker(engine)
    try:
        yield engine
    finally:
        async with sessions() as session, session.begin():
            await session.execute(text("DELETE FROM working_calendar_year WHERE year = 2027"))
            await session.execute(text("DELETE FROM interest_rate_month WHERE month IN ('2031-05', '2026-11')"))
        await refresh(UnitOfWork(sessions))
        await engine.dispose()


async def test_published_days_off_and_rates_are_kept_once_and_used_after_a_refresh(
        world: World, settings: PaymentSettings, kept: object) -> None:
    with pytest.raises(CalendarYearUnknown):
        add_working_days(date(2026, 12, 30), 3)
    with pytest.raises(InterestRateUnknown):  # no KMK of its own: never an earlier month's rate (Feb 2026)
        monthly_rate(2, date(2031, 5, 20))

    first, amended = calendar_2027(1, date(2027, 1, 4), date(2027, 1, 5)), calendar_2027(2, date(2027, 1, 4))
    stale = envelope_for(first, key=REFERENCE_KEY, subject="2027", sequence=1)
    await deliver(settings, FILING_EVENTS, [
        (REFERENCE_KEY, first, 1), (REFERENCE_KEY, amended, 2),
        stale, stale,  # the first revision republished late, then redelivered: the second stays
        (REFERENCE_KEY, MAY_2031, 1), (REFERENCE_KEY, MAY_2031, 1)])  # published again under a new id
    assert await world.rows("SELECT year, revision, days, basis_number FROM working_calendar_year") == [
        {"year": 2027, "revision": 2, "days": [{"date": "2027-01-04", "kind": "cuti_bersama",
                                                "name": "Synthetic day off"}],
         "basis_number": "TEST ONLY - synthetic revision 2"}]
    assert await world.rows("SELECT month, tier_2, imbalan_bunga, kmk_number FROM interest_rate_month") == [
        {"month": "2031-05", "tier_2": Decimal("0.2200"), "imbalan_bunga": Decimal("0.1100"),
         "kmk_number": "TEST ONLY - synthetic KMK"}]

    await refresh(world.uow())  # what every process does at its start and every `reference_refresh_s`
    # 30 Dec 2026 + 3 working days: 31 Dec, 1 Jan (a Friday, not listed in this synthetic list), then past the
    # weekend and the synthetic 4 January: 5 January
    assert add_working_days(date(2026, 12, 30), 3) == date(2027, 1, 5)
    assert monthly_rate(2, date(2031, 5, 20)) == Decimal("0.22")
    assert monthly_rate(5, date(2031, 5, 1)) == Decimal("0.55")
    with pytest.raises(InterestRateUnknown):  # the published month answers for itself only
        monthly_rate(5, date(2031, 12, 1))


async def test_an_instalment_decision_due_in_2027_waits_for_the_published_year(
        settings: PaymentSettings, kept: object, kmk_months_published: object) -> None:
    """Applied on 28 December 2026, the decision falls due 7 working days later, in 2027: refused until payment has
    the days off of 2027 (synthetic here), then due on 8 January (the synthetic 4 and 5 January are off). The debt
    falls due in December 2026, whose KMK rates (synthetic) `kmk_months_published` provides."""
    app = create_app(settings, jwks=JWKSCache(settings.auth, keys=MAKER.jwks()), clock=FixedClock(date(2026, 12, 28)))
    async with api_client(app) as http:
        world = World(http, settings)
        try:
            npwp = random_npwp()
            debt = await record_stp(world, npwp, amount="1200000", issued_on=date(2026, 11, 2),
                                    due_date=date(2026, 12, 2))
            body = {"debt_id": debt["id"], "kind": "instalment", "instalments": 3, "first_due_date": "2027-02-02",
                    "reason": "Kesulitan likuiditas."}
            refused = await http.post("/v1/instalments", json=body, headers=taxpayer_token(npwp))
            assert (refused.status_code, refused.json()["code"], refused.json()["details"]["year"]) == (
                422, "calendar.year_unknown", 2027)

            await deliver(settings, FILING_EVENTS, [(REFERENCE_KEY, calendar_2027(1, date(2027, 1, 4),
                                                                                  date(2027, 1, 5)), 1)])
            await refresh(world.uow())
            applied = await http.post("/v1/instalments", json=body, headers=taxpayer_token(npwp))
            assert applied.status_code == 201, applied.text
            # 29, 30, 31 Dec, 1 Jan, (4, 5 Jan off) 6, 7, 8 Jan
            assert (applied.json()["received_on"], applied.json()["decide_by"]) == ("2026-12-28", "2027-01-08")
        finally:
            await world.engine.dispose()


async def interest_state(world: World, debt_id: str) -> dict[str, Any]:
    """The debt's Art 19 interest columns, and its row version and locker (`xmin`, `xmax`): a pass that claims the
    debt locks its row, and one that changes it writes a new version, so equal values mean no pass took it."""
    [row] = await world.rows("SELECT interest_months, interest_next_on, interest_waiting_month, xmin::text AS xmin, "
                             "xmax::text AS xmax FROM debt WHERE id = CAST(:d AS uuid)", d=debt_id)
    return row


async def test_a_debt_due_in_a_month_without_a_kmk_rate_waits_for_that_months_rate(
        world: World, settings: PaymentSettings, kept: object, caplog: pytest.LogCaptureFixture) -> None:
    """A debt due in November 2026, whose KMK payment does not have (filing refuses the month too): its Art 19
    interest reports nothing and the debt waits for November, which no later pass claims again (no event, no line
    about it), and an application for instalments is refused with 503 `debt.interest_rate_unknown` (nothing
    written, the Idempotency-Key free again), until November's rates are published (synthetic here). May 2031's
    publication leaves it waiting; November's makes it due from the day its first month counted, and the next pass
    reports the interest to date once, at November's rate, even before this process has read the publication; then
    the application goes ahead at that rate too."""
    caplog.set_level(logging.INFO, logger="payment.debts.service")
    npwp = random_npwp()
    debt = await record_stp(world, npwp, amount="1200000", period="2026-09", issued_on=date(2026, 10, 2),
                            due_date=date(2026, 11, 2))
    await accrue_debt_interest(world.uow(), batch=10_000, today=TODAY)
    assert await interest_events(world, debt["id"]) == []
    waiting = await interest_state(world, debt["id"])
    assert {k: waiting[k] for k in ("interest_months", "interest_next_on", "interest_waiting_month")} == {
        "interest_months": 0, "interest_next_on": None, "interest_waiting_month": date(2026, 11, 1)}
    [line] = [r.getMessage() for r in caplog.records if r.name == "payment.debts.service"]
    assert line.startswith("Art 19 interest of ") and "2026-11 (" in line  # one line per batch, counted by month
    caplog.clear()
    for later in (TODAY, date(2026, 12, 8), date(2027, 1, 3), date(2027, 2, 28)):
        await accrue_debt_interest(world.uow(), batch=10_000, today=later)
    assert await interest_state(world, debt["id"]) == waiting  # never claimed again: not locked, not written
    assert await interest_events(world, debt["id"]) == []
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert not any("2026-11 (" in r.getMessage() for r in caplog.records)

    same_request = {**taxpayer_token(npwp), "Idempotency-Key": f"cicil-{debt['id']}"}
    terms = dict(debt_id=debt["id"], kind="instalment", instalments=3, first_due_date="2027-01-02")
    refused = await apply(world, npwp, same_request, **terms)
    assert (refused.status_code, refused.json()["code"], refused.json()["details"]) == (
        503, "debt.interest_rate_unknown", {"tier": 1, "month": "2026-11"})
    assert await world.scalar("SELECT count(*) FROM instalment_arrangement WHERE debt_id = CAST(:d AS uuid)",
                              d=debt["id"]) == 0

    await deliver(settings, FILING_EVENTS, [(REFERENCE_KEY, MAY_2031, 1)])  # another month: still waiting
    assert (await interest_state(world, debt["id"]))["interest_waiting_month"] == date(2026, 11, 1)
    await deliver(settings, FILING_EVENTS, [(REFERENCE_KEY, NOVEMBER_2026, 1)])
    rearmed = await interest_state(world, debt["id"])
    assert (rearmed["interest_next_on"], rearmed["interest_waiting_month"]) == (date(2026, 11, 3), None)
    with pytest.raises(InterestRateUnknown):  # this process has not read November yet (its refresh is later)
        monthly_rate(1, date(2026, 11, 2))
    # 2 Nov to 8 Dec: a month and a part month, at November's tier 1 (0.49%), read from the database
    await accrue_debt_interest(world.uow(), batch=10_000, today=date(2026, 12, 8))
    await accrue_debt_interest(world.uow(), batch=10_000, today=date(2026, 12, 8))  # nothing new: reported once
    [(_, accrued)] = await interest_events(world, debt["id"])
    assert (accrued.months, accrued.monthly_rate_percent, accrued.interest, accrued.as_of) == (
        2, "0.49", "11760", date(2026, 12, 8))
    assert (await interest_state(world, debt["id"]))["interest_next_on"] == date(2027, 1, 3)  # the next month

    await refresh(world.uow())
    applied = await apply(world, npwp, same_request, **terms)
    assert applied.status_code == 201, applied.text
    assert applied.headers.get("idempotent-replayed") is None  # the refusal was not kept as the key's answer
    granted = await decide(world, applied.json()["id"], decision="approve")
    assert granted.status_code == 201, granted.text
    g = granted.json()
    assert (g["monthly_rate_percent"], [i["interest"] for i in g["schedule"]]) == ("0.49", ["11760", "3920", "1960"])


async def blocked_or_done(session: AsyncSession, task: asyncio.Task[Any], deadline_s: float = 20.0) -> None:
    """Until `task` is done or another connection waits for an advisory lock (polled: no assertion on time)."""
    for _ in range(int(deadline_s / 0.05)):
        if task.done() or await session.scalar(text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")):
            return
        await asyncio.sleep(0.05)


async def test_a_pass_never_sets_a_debt_waiting_for_a_month_whose_publication_is_committing(
        world: World, kept: object) -> None:
    """The race the lock of the rate months closes: November's rates are kept and its waiting debts re-armed, not
    yet committed, while a pass takes a debt due in November. Reading the months kept before that commit, the pass
    would set the debt waiting for a month whose publication has re-armed the waiting debts already, for good. It
    waits for the publication instead, then reads November's rates and reports the interest."""
    npwp = random_npwp()
    debt = await record_stp(world, npwp, amount="1200000", period="2026-09", issued_on=date(2026, 10, 2),
                            due_date=date(2026, 11, 2))
    async with world.sessions() as session, session.begin():
        await rates_published(session, Envelope.model_validate(
            envelope_for(NOVEMBER_2026, key=REFERENCE_KEY, subject="2026-11")), NOVEMBER_2026)
        accrual = asyncio.create_task(accrue_debt_interest(world.uow(), batch=10_000, today=date(2026, 12, 8)))
        await blocked_or_done(session, accrual)
    await accrual
    state = await interest_state(world, debt["id"])
    assert (state["interest_waiting_month"], state["interest_next_on"]) == (None, date(2027, 1, 3))  # not waiting
    [(_, accrued)] = await interest_events(world, debt["id"])
    assert (accrued.months, accrued.monthly_rate_percent, accrued.interest) == (2, "0.49", "11760")
