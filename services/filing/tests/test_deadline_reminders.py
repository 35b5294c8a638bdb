"""Approaching-deadline reminders: the worker's pass sends `DeadlineApproaching` d7 and d1 to the owed returns not
filed (the sanction run's "who owes what"), each once however often it runs; filed returns, returns not owed and
Art 7(2) cases get none; a reminder whose day needs a year without a calendar is skipped, not guessed. Fixed clocks;
the SPT Masa PPN of November 2026 is due Thursday 31 December 2026, whose 7th working day before is Friday 18 December
(24 and 25 December are days off)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from filing.reminders.service import send_reminders
from filing.settings import FilingSettings
from kit.clock import FixedClock
from kit.db import UnitOfWork, create_engine, create_sessionmaker
from kit.testing.events import outbox_envelopes
from services.filing.tests.seed import add_taxpayer, at, extend, file_return

PKP_2025 = ((True, date(2025, 1, 1)),)


@pytest.fixture
async def engine(settings: FilingSettings) -> AsyncIterator[AsyncEngine]:
    e = create_engine(settings.database, application_name="test.reminders", pool_size=2)
    try:
        yield e
    finally:
        await e.dispose()


async def run_on(engine: AsyncEngine, day: date) -> None:
    await send_reminders(UnitOfWork(create_sessionmaker(engine)), FixedClock(day))


async def sent(engine: AsyncEngine, *npwps: str) -> list[tuple[str, str, str, str, str, int, str]]:
    """(npwp, form, period, reminder, due date, days left, sent on) from the events in the outbox."""
    async with create_sessionmaker(engine)() as s:
        events = await outbox_envelopes(s, event_type="DeadlineApproaching")
    rows = [(e.npwp, e.form, e.period, e.reminder, e.due_date.isoformat(), e.days_left, e.sent_on.isoformat())
            for key, _, e in events if key in npwps]  # type: ignore[attr-defined]
    return sorted(rows)


async def test_d7_and_d1_reach_the_owed_returns_not_filed_once(engine: AsyncEngine) -> None:
    open_ = await add_taxpayer(engine, pkp=PKP_2025)
    waiting = await add_taxpayer(engine, pkp=PKP_2025)  # submitted, awaiting payment: not filed yet
    filed = await add_taxpayer(engine, pkp=PKP_2025)
    pkp_later = await add_taxpayer(engine, pkp=((True, date(2026, 12, 1)),))  # owes December on, not November
    deceased = await add_taxpayer(engine, pkp=PKP_2025, status="deceased")  # Art 7(2): no fine, no reminder
    await file_return(engine, filed, "spt_masa_ppn", "2026-11", at(date(2026, 12, 10)))
    await file_return(engine, waiting, "spt_masa_ppn", "2026-11", at(date(2026, 12, 10)), status="awaiting_payment")
    everyone = (open_, waiting, filed, pkp_later, deceased)

    await run_on(engine, date(2026, 12, 17))  # 8 working days ahead: nothing yet
    assert await sent(engine, *everyone) == []

    await run_on(engine, date(2026, 12, 18))
    d7 = [(n, "spt_masa_ppn", "2026-11", "d7", "2026-12-31", 7, "2026-12-18") for n in sorted((open_, waiting))]
    assert await sent(engine, *everyone) == d7
    await run_on(engine, date(2026, 12, 18))  # the next hourly pass
    await run_on(engine, date(2026, 12, 19))  # Saturday: the same target, already sent
    assert await sent(engine, *everyone) == d7

    # 30 December: d1; d7 would need the 2027 calendar (not packaged): skipped, nothing guessed
    await run_on(engine, date(2026, 12, 30))
    await run_on(engine, date(2026, 12, 30))
    d1 = [(n, "spt_masa_ppn", "2026-11", "d1", "2026-12-31", 1, "2026-12-30") for n in sorted((open_, waiting))]
    assert await sent(engine, *everyone) == sorted(d7 + d1)
    async with engine.connect() as conn:
        rows = (await conn.execute(text("SELECT count(*) FROM deadline_reminder WHERE npwp = ANY(:n)"),
                                   {"n": list(everyone)})).scalar_one()
    assert rows == 4


async def test_annual_returns_are_reminded_on_their_own_or_extended_deadline(engine: AsyncEngine) -> None:
    person = await add_taxpayer(engine, kind="individual")
    filed = await add_taxpayer(engine, kind="individual")
    registered_2026 = await add_taxpayer(engine, kind="individual", registered=date(2026, 2, 1))
    extended = await add_taxpayer(engine, kind="individual")
    company = await add_taxpayer(engine, kind="company")  # SPT Tahunan Badan: due 30 April
    await file_return(engine, filed, "spt_tahunan_op", "2025", at(date(2026, 3, 2)))
    await extend(engine, extended, "spt_tahunan_op", "2025", due=date(2026, 5, 29))
    everyone = (person, filed, registered_2026, extended, company)

    await run_on(engine, date(2026, 3, 30))  # Monday; the OP deadline is Tuesday 31 March
    assert await sent(engine, *everyone) == [(person, "spt_tahunan_op", "2025", "d1", "2026-03-31", 1, "2026-03-30")]

    await run_on(engine, date(2026, 5, 28))  # the day before the extended deadline
    await run_on(engine, date(2026, 5, 28))
    assert await sent(engine, extended) == [(extended, "spt_tahunan_op", "2025", "d1", "2026-05-29", 1, "2026-05-28")]


async def test_a_worker_back_after_days_down_sends_what_is_still_meaningful_once(engine: AsyncEngine) -> None:
    """The worker ran only on the days below (down in between: hours or days). Each pass sends, set-based, what the
    owed returns not filed are still owed: a missed d7 late while 2 or more working days are left, else d1 alone;
    nothing once the due date passed; each reminder once, however often the pass runs. Four SPT Masa PPN: 2026-08
    due Wed 30 Sep, 2026-09 due Mon 2 Nov (31 Oct rolled), 2026-10 due Mon 30 Nov, 2026-11 due Thu 31 Dec."""
    late = await add_taxpayer(engine, pkp=PKP_2025)
    also_late = await add_taxpayer(engine, pkp=PKP_2025)
    filed = await add_taxpayer(engine, pkp=PKP_2025)  # filed while the worker was down: no reminder
    deceased = await add_taxpayer(engine, pkp=PKP_2025, status="deceased")
    for period, day in (("2026-08", date(2026, 9, 29)), ("2026-09", date(2026, 10, 20)),
                        ("2026-10", date(2026, 11, 10)), ("2026-11", date(2026, 12, 10))):
        await file_return(engine, filed, "spt_masa_ppn", period, at(day))
    everyone = (late, also_late, filed, deceased)

    await run_on(engine, date(2026, 10, 1))  # back the day after 2026-08's due date: never a reminder after it
    assert await sent(engine, *everyone) == []
    await run_on(engine, date(2026, 11, 2))  # back on 2026-09's due date: d1, 0 days left (filing today is in time)
    await run_on(engine, date(2026, 11, 27))  # back on 2026-10's d1 day, its d7 day missed: d1 only, never d7 too
    await run_on(engine, date(2026, 11, 30))
    await run_on(engine, date(2026, 12, 22))  # back 2 working days after 2026-11's d7 day: d7, 5 days left
    await run_on(engine, date(2026, 12, 22))  # the next pass, and the next day: nothing more
    await run_on(engine, date(2026, 12, 23))
    await run_on(engine, date(2026, 12, 30))  # 2026-11's d1 on its own day

    expected = sorted((n, "spt_masa_ppn", period, reminder, due, days_left, on) for n in (late, also_late)
                      for period, reminder, due, days_left, on in (
                          ("2026-09", "d1", "2026-11-02", 0, "2026-11-02"),
                          ("2026-10", "d1", "2026-11-30", 1, "2026-11-27"),
                          ("2026-11", "d7", "2026-12-31", 5, "2026-12-22"),
                          ("2026-11", "d1", "2026-12-31", 1, "2026-12-30")))
    assert await sent(engine, *everyone) == expected
    for day in (date(2026, 11, 2), date(2026, 11, 27), date(2026, 12, 22), date(2026, 12, 30), date(2026, 12, 31)):
        await run_on(engine, day)  # every pass again: exactly once
    assert await sent(engine, *everyone) == expected
    async with engine.connect() as conn:
        rows = (await conn.execute(text(
            "SELECT npwp, period, reminder, days_left FROM deadline_reminder WHERE npwp = ANY(:n) ORDER BY 1, 2, 3"),
            {"n": list(everyone)})).all()
    assert sorted(rows) == sorted((n, p, r, d) for n, _, p, r, _, d, _ in expected)
