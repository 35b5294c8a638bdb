"""Use cases of payment's reference slice: keep what filing's officers publish (`WorkingCalendarPublished`,
`InterestRatesPublished` on `filing.events`, group `payment.filing-events`), and hold it in every process's memory
over the packaged data, so that `instalments.workdays` and `debts.interest` see it.

A process reads what is kept at its start (`kept_fresh`, a start-up step of the API and the worker) and every
`reference_refresh_s` (30 s by default): a publication reaches payment's processes within the consumer's lag plus
that interval, and until then they answer as before (`calendar.year_unknown`, or `debt.interest_rate_unknown`). A
refresh that fails keeps what the process held; one that fails at start stops the start. Art 19 interest waiting for a
month is re-armed by that month's publication, in the consumer's transaction (`rates_published`)."""

from __future__ import annotations

import logging
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.envelope import Envelope
from contracts.filing import InterestRatesPublished, WorkingCalendarPublished
from kit.held import HeldReading
from payment.debts import interest
from payment.debts import service as debts
from payment.instalments import workdays
from payment.reference.repository import ReferenceRepository

log = logging.getLogger(__name__)


async def calendar_published(session: AsyncSession, envelope: Envelope, event: WorkingCalendarPublished) -> None:
    """Keep the year's list unless a revision as high is kept: revisions arriving out of order end on the highest."""
    kept = await ReferenceRepository(session).keep_calendar(dict(
        year=event.year, revision=event.revision, days=[d.model_dump(mode="json") for d in event.days],
        basis_number=event.basis_number, basis_signed_on=event.basis_signed_on, published_at=event.published_at))
    log.info("days off of %d revision %d %s", event.year, event.revision, "kept" if kept else "already held")


async def rates_published(session: AsyncSession, envelope: Envelope, event: InterestRatesPublished) -> None:
    """Keep the month's rates (once: a KMK is not amended), and make the debts whose Art 19 interest waits for
    that month due again (`debts.rates_published_in`), in the same transaction. The exclusive lock of the rate
    months, held until it commits, keeps an interest pass from setting a debt waiting for this month meanwhile (a
    pass decides under the shared lock, reading the months kept): a debt never waits for a month already here."""
    repo = ReferenceRepository(session)
    await repo.lock_rate_months(shared=False)
    kept = await repo.keep_rates(dict(
        month=event.month, tier_1=Decimal(event.tier_1), tier_2=Decimal(event.tier_2), tier_3=Decimal(event.tier_3),
        tier_4=Decimal(event.tier_4), tier_5=Decimal(event.tier_5), imbalan_bunga=Decimal(event.imbalan_bunga),
        kmk_number=event.kmk_number, kmk_signed_on=event.kmk_signed_on, published_at=event.published_at))
    # Also when already held (a redelivery): no debt waits for a month kept, so this finds none.
    due = await debts.rates_published_in(session, date.fromisoformat(event.month + "-01"))
    log.info("interest rates of %s %s; Art 19 interest of %d debts waiting for them due again", event.month,
             "kept" if kept else "already held", due)


async def _read(session: AsyncSession) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    return await ReferenceRepository(session).in_force()


def _install(reading: tuple[list[dict[str, Any]], list[dict[str, Any]]]) -> str:
    """The pure modules use the kept years and months over the packaged data."""
    calendars, months = reading
    workdays.use_published({c["year"]: [date.fromisoformat(d["date"]) for d in c["days"]] for c in calendars})
    interest.use_published({date.fromisoformat(m["month"] + "-01"): (
        m["kmk_number"], {tier: Decimal(m[f"tier_{tier}"]).normalize() for tier in interest.TIERS})
        for m in months})
    years = ", ".join(f"{c['year']} (revision {c['revision']})" for c in calendars) or "no year"
    return f"days off of {years}, interest rates of {', '.join(m['month'] for m in months) or 'no month'}"


_held = HeldReading("published reference data", _read, _install)
refresh = _held.refresh
kept_fresh = _held.kept_fresh
