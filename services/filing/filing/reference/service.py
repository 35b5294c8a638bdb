"""Use cases of the reference slice: an officer publishes a year's days off or a month's KMK rates (stored, and
announced on `filing.events` in the same transaction), and every process holds what is published in memory over the
packaged data, so that the pure modules' `WorkingCalendar.load()` and `InterestRateTable.load()` see it.

What a process holds is read (`refresh`) at its start (`kept_fresh`, a start-up step of the API and the worker),
right after a publication it made, and every `reference_refresh_s` (30 s by default): another replica learns a
publication within that interval, and until then answers as before (`calendar.year_unknown`, or the earlier
revision of a year). A refresh that fails keeps what the process held; one that fails at start stops the start."""

from __future__ import annotations

import logging
from datetime import UTC, date
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.filing import REFERENCE_KEY, InterestRatesPublished, PublishedDayOff, WorkingCalendarPublished
from filing.calendar import workdays
from filing.calendar.periods import TaxPeriod
from filing.calendar.workdays import DayOff
from filing.reference import rules
from filing.reference.auth import require_reference_officer
from filing.reference.errors import InterestRatesDiffer
from filing.reference.repository import ReferenceRepository
from filing.reference.rules import Decree, MonthRates, YearDaysOff
from filing.reference.schemas import (
    CalendarPublicationRead,
    CalendarPublish,
    InterestRatesPublicationRead,
    InterestRatesPublish,
)
from filing.sanctions import rates as rate_table
from filing.sanctions.rates import InterestRateTable, InterestTier
from kit.auth import Principal
from kit.clock import Clock
from kit.db import UnitOfWork
from kit.held import HeldReading
from kit.outbox import publish

log = logging.getLogger(__name__)

CALENDAR_AGGREGATE = "working_calendar"
RATES_AGGREGATE = "interest_rates"


async def publish_calendar(uow: UnitOfWork, principal: Principal, clock: Clock, *, year: int,
                           body: CalendarPublish) -> CalendarPublicationRead:
    """The year's first list (`published`), a new revision (`revised`: an amended SKB), or the list in force again
    (`unchanged`: nothing written)."""
    officer = require_reference_officer(principal)
    calendar = rules.checked_calendar(year, [(d.date, d.kind, d.name) for d in body.days], body.basis.decree(),
                                      today=clock.today())
    async with uow:
        repo = ReferenceRepository(uow.session)
        await repo.lock()
        current = await repo.calendar_in_force(year)
        if current is not None and _year_days_off(current) == calendar:
            return CalendarPublicationRead.of(calendar, revision=current["revision"], outcome="unchanged",
                                              published_at=current["published_at"],
                                              published_by=current["published_by"])
        revision = 1 if current is None else current["revision"] + 1
        now = clock.now().astimezone(UTC)  # as the database gives it back
        days = [{"date": d.date.isoformat(), "kind": d.kind, "name": d.name} for d in calendar.days]
        await repo.add_calendar(dict(year=year, revision=revision, days=days, basis_number=calendar.basis.number,
                                     basis_signed_on=calendar.basis.signed_on, published_at=now,
                                     published_by=officer))
        await publish(uow.session, WorkingCalendarPublished(
            year=year, revision=revision, days=[PublishedDayOff.model_validate(d) for d in days],
            basis_number=calendar.basis.number, basis_signed_on=calendar.basis.signed_on, published_at=now,
        ), key=REFERENCE_KEY, subject=str(year), aggregate_type=CALENDAR_AGGREGATE, sequence=revision)
        await uow.commit()
    await _refresh_after_publication(uow)
    return CalendarPublicationRead.of(calendar, revision=revision, outcome="published" if revision == 1 else "revised",
                                      published_at=now, published_by=officer)


async def publish_interest_rates(uow: UnitOfWork, principal: Principal, clock: Clock, *, month: str,
                                 body: InterestRatesPublish) -> InterestRatesPublicationRead:
    """The month's rates (`published`), or the same again (`unchanged`: nothing written). Other rates for a month
    already known, published or packaged, are refused (`reference.interest_rates_differ`): a KMK is not amended."""
    officer = require_reference_officer(principal)
    period = TaxPeriod.parse(month)
    rates = rules.checked_rates(period, body.rates.model_dump(), body.kmk.decree(), today=clock.today())
    packaged = InterestRateTable.packaged().month(period)
    if packaged is not None and (differs := rules.packaged_differences(rates, *packaged)):
        raise InterestRatesDiffer(f"the packaged rates of {period} differ in {', '.join(differs)}",
                                  month=str(period), known="packaged", differs=differs)
    async with uow:
        repo = ReferenceRepository(uow.session)
        await repo.lock()
        current = await repo.rates(str(period))
        if current is not None:
            known = _month_rates(current)
            if differs := rules.rate_differences(rates, known):
                raise InterestRatesDiffer(f"the rates of {period} published on {current['published_at']:%Y-%m-%d} "
                                          f"differ in {', '.join(differs)}", month=str(period), known="published",
                                          differs=differs)
            return InterestRatesPublicationRead.of(known, outcome="unchanged", published_at=current["published_at"],
                                                   published_by=current["published_by"])
        now = clock.now().astimezone(UTC)  # as the database gives it back
        await repo.add_rates(dict(month=str(period), **rates.rates, kmk_number=rates.kmk.number,
                                  kmk_signed_on=rates.kmk.signed_on, published_at=now, published_by=officer))
        await publish(uow.session, InterestRatesPublished(
            month=str(period), **{name: f"{value:f}" for name, value in rates.rates.items()},
            kmk_number=rates.kmk.number, kmk_signed_on=rates.kmk.signed_on, published_at=now,
        ), key=REFERENCE_KEY, subject=str(period), aggregate_type=RATES_AGGREGATE, sequence=1)
        await uow.commit()
    await _refresh_after_publication(uow)
    return InterestRatesPublicationRead.of(rates, outcome="published", published_at=now, published_by=officer)


# -- what this process holds ---------------------------------------------------------------------------------------
async def _read(session: AsyncSession) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    return await ReferenceRepository(session).in_force()


def _install(reading: tuple[list[dict[str, Any]], list[dict[str, Any]]]) -> str:
    """The pure modules use the published years and months over the packaged data."""
    calendars, months = reading
    workdays.use_published({c["year"]: [DayOff(date.fromisoformat(d["date"]), d["kind"], d["name"])
                                         for d in c["days"]] for c in calendars})
    rate_table.use_published({TaxPeriod.parse(m["month"]): (
        {InterestTier(i): Decimal(m[f"tier_{i}"]).normalize() for i in range(1, 6)}, m["kmk_number"])
        for m in months})
    years = ", ".join(f"{c['year']} (revision {c['revision']})" for c in calendars) or "no year"
    return f"days off of {years}, interest rates of {', '.join(m['month'] for m in months) or 'no month'}"


_held = HeldReading("published reference data", _read, _install)
refresh = _held.refresh
kept_fresh = _held.kept_fresh


async def _refresh_after_publication(uow: UnitOfWork) -> None:
    """This process uses a publication at once; the publication stands even if this read fails (the periodic refresh
    reads it again)."""
    try:
        await refresh(uow)
    except Exception:
        log.exception("refresh after a publication failed; the next periodic refresh reads it")


def _year_days_off(row: dict[str, Any]) -> YearDaysOff:
    return YearDaysOff(row["year"], tuple(DayOff(date.fromisoformat(d["date"]), d["kind"], d["name"])
                                          for d in row["days"]),
                       Decree(row["basis_number"], row["basis_signed_on"]))


def _month_rates(row: dict[str, Any]) -> MonthRates:
    return MonthRates(TaxPeriod.parse(row["month"]), {name: Decimal(row[name]).normalize()
                                                      for name in rules.RATE_FIELDS},
                      Decree(row["kmk_number"], row["kmk_signed_on"]))
