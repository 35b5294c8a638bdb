"""Routes of the returns slice: the SPT Masa PPN prefilled from e-Faktur, and what the taxpayer adds to it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from filing.calendar.errors import PeriodInvalid
from filing.corrections.errors import CorrectionUnderAudit
from filing.responses import responses
from filing.returns import service
from filing.returns.errors import (
    AmountNegative,
    AmountTooLarge,
    AmountTooPrecise,
    ReturnChanged,
    ReturnNotDraft,
    ReturnNotOwed,
)
from filing.returns.schemas import DraftUpdate, SptMasaPpnRead
from kit.auth import CurrentPrincipal, MissingScope, TaxpayerForbidden, TaxpayerNotChosen
from kit.dependencies import Uow
from kit.errors import Unauthorized
from kit.idempotency import Idempotency, IdempotencyInProgress, IdempotencyKeyReused, idempotent
from kit.replica import TaxpayerNotReplicated

router = APIRouter(prefix="/v1/returns", tags=["returns"])

Period = Annotated[str, Path(description="masa pajak, YYYY-MM", examples=["2026-02"])]
Npwp = Annotated[str | None, Query(pattern=r"^[0-9]{16}$", description="NPWP16; default: the token's only taxpayer")]
Idempotent = Annotated[Idempotency, idempotent()]
_AUTH = (Unauthorized, MissingScope, TaxpayerForbidden, TaxpayerNotChosen, PeriodInvalid)


@router.get("/spt-masa-ppn/{period}", response_model=SptMasaPpnRead,
            summary="The SPT Masa PPN of a period, prefilled from the taxpayer's e-Faktur",
            description="Output tax by transaction code (signed invoices that stand, minus nota retur received), "
                        "input tax credited in the period, what the taxpayer added, and the resulting kurang or lebih "
                        "bayar. Up to date as soon as filing has consumed invoice's events. Scope `filing:read`.",
            responses=responses(*_AUTH))
async def get_spt_masa_ppn(period: Period, principal: CurrentPrincipal, uow: Uow,
                           npwp: Npwp = None) -> SptMasaPpnRead:
    return await service.get_spt_masa_ppn(uow, principal, npwp=npwp, period=period)


@router.put("/spt-masa-ppn/{period}/draft", response_model=SptMasaPpnRead,
            summary="Set the figures the taxpayer adds (other input tax, compensation) on the draft",
            description="Starts the draft (Normal, or the next pembetulan once a version is filed) if there is "
                        "none. Scope `filing:draft`. Send `Idempotency-Key` to make a retry safe.",
            responses=responses(*_AUTH, TaxpayerNotReplicated, ReturnNotOwed, ReturnNotDraft, ReturnChanged,
                                CorrectionUnderAudit, AmountNegative, AmountTooPrecise, AmountTooLarge, IdempotencyInProgress,
                                IdempotencyKeyReused))
async def put_spt_masa_ppn_draft(period: Period, body: DraftUpdate, principal: CurrentPrincipal, uow: Uow,
                                 idem: Idempotent, npwp: Npwp = None) -> SptMasaPpnRead:
    return await idem.run(200, lambda: service.update_draft(uow, principal, npwp=npwp, period=period,  # type: ignore[return-value]
                                                            body=body))
