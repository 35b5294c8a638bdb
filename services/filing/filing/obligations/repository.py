"""All SQL of the obligations slice: when each owed return was filed (the returns slice's `spt` rows)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from filing.returns.models import spt


class ObligationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def filed_at(self, npwp: str, forms: Sequence[str], periods: Sequence[str]
                       ) -> dict[tuple[str, str], datetime]:
        """When the Normal of each (form, period) was filed, for those filed."""
        if not forms or not periods:
            return {}
        rows = await self.session.execute(select(spt.c.form, spt.c.period, spt.c.filed_at).where(
            spt.c.npwp == npwp, spt.c.form.in_(forms), spt.c.period.in_(periods), spt.c.version == 0,
            spt.c.status == "filed"))
        return {(form, period): filed_at for form, period, filed_at in rows}
