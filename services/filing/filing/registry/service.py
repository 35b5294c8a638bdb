"""The registry replica's use cases: applying identity's PKP status changes (in the consumer's transaction) and
reading what filing knows of a taxpayer (inside another use case's transaction)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.envelope import Envelope
from contracts.identity import PKPStatusChanged
from filing.calendar.periods import TaxPeriod
from filing.obligations.owed import PkpSpan, TaxpayerKind, pkp_spans
from filing.registry.repository import RegistryRepository
from kit.clock import JAKARTA
from kit.replica import TaxpayerNotReplicated


@dataclass(frozen=True)
class Registered:
    """What filing knows of a taxpayer from identity's events."""

    taxpayer_id: str
    npwp: str
    name: str
    kind: TaxpayerKind
    registered_on: date  # in Jakarta
    pkp: tuple[PkpSpan, ...]

    def is_pkp_in(self, period: TaxPeriod) -> bool:
        return any(span.overlaps(period) for span in self.pkp)


async def record_pkp_changes(session: AsyncSession, events: Sequence[tuple[Envelope, PKPStatusChanged]]) -> None:
    await RegistryRepository(session).add_pkp_changes([
        dict(taxpayer_id=e.taxpayer_id, source_sequence=envelope.sequence, effective_date=e.effective_date,
             is_pkp=e.is_pkp, npwp=e.npwp, event_id=envelope.id) for envelope, e in events])


async def registered(session: AsyncSession, npwp: str) -> Registered:
    """The taxpayer with its PKP spans; 404 `taxpayer.not_found` until identity's TaxpayerRegistered has arrived."""
    repo = RegistryRepository(session)
    row = await repo.taxpayer(npwp)
    if row is None:
        raise TaxpayerNotReplicated(f"no taxpayer {npwp} in filing's registry replica (yet)", npwp=npwp)
    spans = pkp_spans(await repo.pkp_changes(row.taxpayer_id))
    return Registered(row.taxpayer_id, row.npwp, row.name, row.kind,  # type: ignore[arg-type]
                      row.registered_at.astimezone(JAKARTA).date(), tuple(spans))


async def registered_many(session: AsyncSession, npwps: Sequence[str]) -> dict[str, Registered]:
    """`registered` for many taxpayers in two statements; an NPWP not replicated yet is left out (`not_replicated`
    is the error `registered` raises for it)."""
    repo = RegistryRepository(session)
    rows = await repo.taxpayers(sorted(set(npwps)))
    changes = await repo.pkp_changes_of([r.taxpayer_id for r in rows.values()]) if rows else {}
    return {npwp: Registered(row.taxpayer_id, row.npwp, row.name, row.kind,  # type: ignore[arg-type]
                             row.registered_at.astimezone(JAKARTA).date(), tuple(pkp_spans(changes[row.taxpayer_id])))
            for npwp, row in rows.items()}


def not_replicated(npwp: str) -> TaxpayerNotReplicated:
    return TaxpayerNotReplicated(f"no taxpayer {npwp} in filing's registry replica (yet)", npwp=npwp)
