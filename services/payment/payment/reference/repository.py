"""All SQL of payment's reference slice."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Text, bindparam, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from payment.reference.models import interest_rate_month, working_calendar_year

# What is in force, in one statement (each process runs it at start and every refresh interval); rates as text: a
# JSON number would be a float.
_IN_FORCE = text("""
SELECT
  (SELECT coalesce(jsonb_agg(jsonb_build_object('year', year, 'revision', revision, 'days', days) ORDER BY year),
                   '[]'::jsonb) FROM working_calendar_year) AS calendars,
  (SELECT coalesce(jsonb_agg(jsonb_build_object(
            'month', month, 'kmk_number', kmk_number,
            'tier_1', tier_1::text, 'tier_2', tier_2::text, 'tier_3', tier_3::text, 'tier_4', tier_4::text,
            'tier_5', tier_5::text) ORDER BY month), '[]'::jsonb)
     FROM interest_rate_month) AS rates
""")


# Held by a publication of rates (exclusive) and by the interest pass that decides debts wait for a month (shared),
# each until its transaction ends: a debt never starts waiting for a month whose publication has re-armed the waiting
# debts already.
_RATE_MONTHS_LOCK = "payment.interest-rate-months"


class ReferenceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def keep_calendar(self, values: dict[str, Any]) -> bool:
        """The year's list, unless a revision as high is already kept (a stale or repeated event). Whether it was
        kept."""
        stmt = insert(working_calendar_year).values(values)
        stmt = stmt.on_conflict_do_update(
            index_elements=[working_calendar_year.c.year],
            set_={c: stmt.excluded[c] for c in ("revision", "days", "basis_number", "basis_signed_on",
                                                  "published_at")},
            where=working_calendar_year.c.revision < stmt.excluded.revision,
        ).returning(working_calendar_year.c.year)
        return (await self.session.execute(stmt)).first() is not None

    async def keep_rates(self, values: dict[str, Any]) -> bool:
        """The month's rates, unless the month is kept already (a KMK is not amended: filing publishes a month
        once). Whether they were kept."""
        stmt = insert(interest_rate_month).values(values).on_conflict_do_nothing(
            index_elements=[interest_rate_month.c.month]).returning(interest_rate_month.c.month)
        return (await self.session.execute(stmt)).first() is not None

    async def lock_rate_months(self, *, shared: bool) -> None:
        """Until the transaction ends: a publication of rates (exclusive) waits for the interest passes deciding
        that debts wait for a month (shared), and they for it."""
        lock = func.pg_advisory_xact_lock_shared if shared else func.pg_advisory_xact_lock
        await self.session.execute(select(lock(func.hashtext(bindparam("name", type_=Text)))),
                                   {"name": _RATE_MONTHS_LOCK})

    async def published_rates(self, tier: int) -> dict[str, Decimal]:
        """Every month kept (YYYY-MM) with its rate of `tier`, as the database has them now."""
        column = interest_rate_month.c[f"tier_{tier}"]
        rows = await self.session.execute(select(interest_rate_month.c.month, column))
        return {month: rate for month, rate in rows}

    async def in_force(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        row = (await self.session.execute(_IN_FORCE)).one()
        return list(row.calendars), list(row.rates)
