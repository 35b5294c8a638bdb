"""Art 19 interest of a legacy import's debts due years before the packaged KMK table (seed 000 item 16): the first
pass sets them waiting for their month a statement per `waiting_batch` debts, not one row at a time; no later pass
claims them (no event, no line about them); the publication of one month makes that month's debts due again, in one
statement whatever their number, and leaves the others waiting; the next pass reports the interest to date once (24
months at most), at the month's rate. The months' rates are synthetic test data, removed afterwards."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import event, text

from contracts.envelope import Envelope
from contracts.filing import REFERENCE_KEY, InterestRatesPublished
from kit.db import UnitOfWork, create_engine, create_sessionmaker
from kit.testing.events import envelope_for
from payment.debts.service import accrue_debt_interest
from payment.reference.service import rates_published, refresh
from payment.settings import PaymentSettings
from services.payment.tests.conftest import TODAY, World
from services.payment.tests.factories import valid_npwp
from services.payment.tests.test_legacy_debts import csv_file, ref, row, upload

AUGUST, SEPTEMBER = "2016-08", "2016-09"  # before anything else the tests record falls due


def kmk(month: str, tier_1: str) -> InterestRatesPublished:
    return InterestRatesPublished(month=month, tier_1=tier_1, tier_2="0.9", tier_3="1.3", tier_4="1.7", tier_5="2.1",
                                  imbalan_bunga=tier_1, kmk_number=f"TEST ONLY - synthetic KMK {month}",
                                  kmk_signed_on=date.fromisoformat(month + "-01"),
                                  published_at=datetime(2026, 12, 6, tzinfo=UTC))


@pytest.fixture
async def synthetic_months(settings: PaymentSettings) -> AsyncIterator[None]:
    """On the way out, the months this test published are removed and this process reads payment's data again."""
    engine = create_engine(settings.database, application_name="test.interest-waiting", pool_size=1)
    sessions = create_sessionmaker(engine)
    try:
        yield
    finally:
        async with sessions() as session, session.begin():
            await session.execute(text("DELETE FROM interest_rate_month WHERE month IN (:a, :s)"),
                                  {"a": AUGUST, "s": SEPTEMBER})
        await refresh(UnitOfWork(sessions))
        await engine.dispose()


async def publish(world: World, published: InterestRatesPublished) -> list[str]:
    """The consumer step that keeps a month's rates, in one transaction; the statements it sent."""
    sent: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        sent.append(statement)

    event.listen(world.engine.sync_engine, "before_cursor_execute", record)
    try:
        async with world.sessions() as session, session.begin():
            await rates_published(session, Envelope.model_validate(
                envelope_for(published, key=REFERENCE_KEY, subject=published.month)), published)
    finally:
        event.remove(world.engine.sync_engine, "before_cursor_execute", record)
    return sent


async def interest_rows(world: World, ids: list[str]) -> list[dict[str, Any]]:
    return await world.rows(
        "SELECT id, interest_next_on, interest_waiting_month, interest_months, xmin::text AS xmin, xmax::text AS xmax "
        "FROM debt WHERE id = ANY(CAST(:ids AS uuid[])) ORDER BY id", ids=ids)


def by(rows: list[dict[str, Any]], *columns: str) -> dict[tuple[Any, ...], int]:
    counted: dict[tuple[Any, ...], int] = {}
    for r in rows:
        key = tuple(r[c] for c in columns)
        counted[key] = counted.get(key, 0) + 1
    return counted


async def test_a_legacy_import_waits_for_its_months_and_each_publication_rearms_its_own_month_at_once(
        world: World, synthetic_months: None, caplog: pytest.LogCaptureFixture) -> None:
    npwp = valid_npwp()
    august, september = [ref() for _ in range(990)], [ref() for _ in range(10)]
    content = csv_file([row(npwp, r, amount="1000000", issued_on="2016-07-11", due_date="2016-08-10") for r in august]
                       + [row(npwp, r, amount="1000000", issued_on="2016-08-12", due_date="2016-09-12")
                          for r in september])
    imported = await upload(world, content)
    assert imported.status_code == 201, imported.text
    assert imported.json()["imported"]["rows"] == 1000
    ids = [str(r["id"]) for r in await world.rows("SELECT id FROM debt WHERE source_reference = ANY(:r)",
                                                  r=august + september)]
    september_ids = {str(r["id"]) for r in await world.rows("SELECT id FROM debt WHERE source_reference = ANY(:r)",
                                                            r=september)}

    # The worker's pass (batches of 200, here with 300 more set waiting per statement): the 1,000 debts, due first,
    # wait after two transactions (200 claimed + 300 set-based, twice), with one line each, counted by month.
    caplog.set_level(logging.INFO, logger="payment.debts.service")
    caplog.clear()
    for _ in range(2):
        assert await accrue_debt_interest(world.uow(), batch=200, today=TODAY, waiting_batch=300) == 200
    assert [r.getMessage() for r in caplog.records if r.name == "payment.debts.service"] == [
        "Art 19 interest of 500 debts waits for the KMK rates of their month: 2016-08 (500)",
        "Art 19 interest of 500 debts waits for the KMK rates of their month: 2016-08 (490), 2016-09 (10)"]
    waiting = await interest_rows(world, ids)
    assert by(waiting, "interest_waiting_month", "interest_next_on", "interest_months") == {
        (date(2016, 8, 1), None, 0): 990, (date(2016, 9, 1), None, 0): 10}
    while await accrue_debt_interest(world.uow(), batch=200, today=TODAY, waiting_batch=300) == 200:
        pass  # the rest of the pass: whatever else is due

    # Later days: none of them is claimed again (not locked, not written), nothing is reported or said about them.
    caplog.clear()
    for later in (date(2026, 12, 8), date(2027, 1, 11)):
        while await accrue_debt_interest(world.uow(), batch=200, today=later, waiting_batch=300) == 200:
            pass
    assert await interest_rows(world, ids) == waiting
    assert not any("2016-" in r.getMessage() for r in caplog.records)
    assert await world.scalar("SELECT count(*) FROM outbox WHERE event_type = 'DebtInterestAccrued' "
                              "AND aggregate_id = ANY(:ids)", ids=ids) == 0

    # September's publication: its 10 debts are due again from the day their first month counted; August's wait on.
    await publish(world, kmk(SEPTEMBER, "0.60"))
    after_september = await interest_rows(world, ids)
    assert by(after_september, "interest_waiting_month", "interest_next_on") == {
        (date(2016, 8, 1), None): 990, (None, date(2016, 9, 13)): 10}
    assert {str(r["id"]) for r in after_september if r["interest_waiting_month"] is None} == september_ids

    # August's: its 990 debts in one statement (the consumer's whole transaction is a few statements).
    sent = await publish(world, kmk(AUGUST, "0.50"))
    assert len([s for s in sent if "UPDATE debt" in s]) == 1 and len(sent) <= 4, sent
    assert by(await interest_rows(world, ids), "interest_waiting_month", "interest_next_on") == {
        (None, date(2016, 8, 11)): 990, (None, date(2016, 9, 13)): 10}

    # The next pass reports the interest to date once: 24 months (the most charged) at the month's rate.
    await refresh(world.uow())
    for _ in range(2):
        while await accrue_debt_interest(world.uow(), batch=200, today=TODAY) == 200:
            pass
    reported = await world.rows(
        "SELECT payload->'data'->>'monthly_rate_percent' AS rate, payload->'data'->>'months' AS months, "
        "payload->'data'->>'interest' AS interest, count(*) AS events, count(DISTINCT aggregate_id) AS debts "
        "FROM outbox WHERE event_type = 'DebtInterestAccrued' AND aggregate_id = ANY(:ids) GROUP BY 1, 2, 3 "
        "ORDER BY 1", ids=ids)
    assert reported == [{"rate": "0.5", "months": "24", "interest": "120000", "events": 990, "debts": 990},
                        {"rate": "0.6", "months": "24", "interest": "144000", "events": 10, "debts": 10}]
    assert by(await interest_rows(world, ids), "interest_waiting_month", "interest_next_on", "interest_months") == {
        (None, None, 24): 1000}
