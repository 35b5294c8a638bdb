"""All SQL of the KSWP slice: snapshots, and which returns a taxpayer has filed."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from filing.kswp.models import kswp_number_seq, kswp_snapshot
from filing.returns.models import spt


@dataclass(frozen=True)
class SnapshotRow:
    id: uuid.UUID
    letter_number: str
    verification_code: str
    npwp: str
    agency_client_id: str
    variant: str
    status: str
    snapshot: str
    digest: str
    checked_at: datetime
    signature: str | None  # null: a letter made before letters were signed
    signing_key_id: str | None


_COLUMNS = (kswp_snapshot.c.id, kswp_snapshot.c.letter_number, kswp_snapshot.c.verification_code,
            kswp_snapshot.c.npwp, kswp_snapshot.c.agency_client_id, kswp_snapshot.c.variant, kswp_snapshot.c.status,
            kswp_snapshot.c.snapshot, kswp_snapshot.c.digest, kswp_snapshot.c.checked_at, kswp_snapshot.c.signature,
            kswp_snapshot.c.signing_key_id)


class KswpRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def next_serial(self) -> int:
        return int((await self.session.execute(select(kswp_number_seq.next_value()))).scalar_one())

    async def filed(self, npwp: str, forms: Sequence[str], periods: Sequence[str]) -> set[tuple[str, str]]:
        """(form, period) of the returns whose Normal is filed."""
        if not forms or not periods:
            return set()
        rows = await self.session.execute(select(spt.c.form, spt.c.period).where(
            spt.c.npwp == npwp, spt.c.form.in_(forms), spt.c.period.in_(periods), spt.c.version == 0,
            spt.c.status == "filed"))
        return {(form, period) for form, period in rows}

    async def add(self, values: dict[str, Any]) -> None:
        await self.session.execute(insert(kswp_snapshot), values)

    async def get(self, kswp_id: uuid.UUID) -> SnapshotRow | None:
        row = (await self.session.execute(select(*_COLUMNS).where(kswp_snapshot.c.id == kswp_id))).first()
        return SnapshotRow(*row) if row is not None else None

    async def by_code(self, code: str) -> SnapshotRow | None:
        row = (await self.session.execute(select(*_COLUMNS).where(kswp_snapshot.c.verification_code == code))
               ).first()
        return SnapshotRow(*row) if row is not None else None
