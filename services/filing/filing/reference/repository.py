"""All SQL of the reference slice."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Text, bindparam, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from filing.reference.models import calendar_publication, interest_rate_publication

_LOCK = "filing.reference"

# What is in force, in one statement (each process runs it at start and every refresh interval): the highest
# revision of each year's days off, and every month's rates (as text: a JSON number would be a float).
_IN_FORCE = text("""
SELECT
  (SELECT coalesce(jsonb_agg(jsonb_build_object('year', c.year, 'revision', c.revision, 'days', c.days)
                             ORDER BY c.year), '[]'::jsonb)
     FROM (SELECT DISTINCT ON (year) year, revision, days FROM calendar_publication
           ORDER BY year, revision DESC) c) AS calendars,
  (SELECT coalesce(jsonb_agg(jsonb_build_object(
            'month', month, 'kmk_number', kmk_number,
            'tier_1', tier_1::text, 'tier_2', tier_2::text, 'tier_3', tier_3::text, 'tier_4', tier_4::text,
            'tier_5', tier_5::text) ORDER BY month), '[]'::jsonb)
     FROM interest_rate_publication) AS rates
""")


class ReferenceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def lock(self) -> None:
        """One publication at a time, of any year or month, until the transaction ends: a year's revisions are
        numbered without a race, and the outbox rows of the one `reference` key are in commit order."""
        await self.session.execute(select(func.pg_advisory_xact_lock(func.hashtext(bindparam("name", type_=Text)))),
                                   {"name": _LOCK})

    async def calendar_in_force(self, year: int) -> dict[str, Any] | None:
        row = (await self.session.execute(
            select(calendar_publication).where(calendar_publication.c.year == year)
            .order_by(calendar_publication.c.revision.desc()).limit(1))).mappings().first()
        return dict(row) if row is not None else None

    async def add_calendar(self, values: dict[str, Any]) -> None:
        await self.session.execute(insert(calendar_publication), values)

    async def rates(self, month: str) -> dict[str, Any] | None:
        row = (await self.session.execute(
            select(interest_rate_publication).where(interest_rate_publication.c.month == month))).mappings().first()
        return dict(row) if row is not None else None

    async def add_rates(self, values: dict[str, Any]) -> None:
        await self.session.execute(insert(interest_rate_publication), values)

    async def in_force(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """(each year's days off in force: {year, revision, days}, each month's rates: {month, kmk_number,
        tier_1..tier_5 as text})."""
        row = (await self.session.execute(_IN_FORCE)).one()
        return list(row.calendars), list(row.rates)
