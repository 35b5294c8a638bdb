"""Routes of the obligations slice."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from filing.calendar.errors import CalendarYearUnknown, PeriodInvalid
from filing.obligations import service
from filing.obligations.errors import (
    ExtensionAlreadyFiled,
    ExtensionExists,
    ExtensionNotAnnual,
    ExtensionTooLate,
    ExtensionTooLong,
    RangeReversed,
    RangeTooLong,
)
from filing.obligations.kinds import Obligation
from filing.obligations.schemas import ExtensionCreate, ExtensionRead, ObligationList
from filing.responses import responses
from filing.returns.errors import ReturnNotOwed
from kit.auth import CurrentPrincipal, MissingScope, TaxpayerForbidden, TaxpayerNotChosen
from kit.clock import Clock
from kit.dependencies import Uow, runtime
from kit.errors import Unauthorized
from kit.idempotency import Idempotency, IdempotencyInProgress, IdempotencyKeyReused, idempotent
from kit.replica import TaxpayerNotReplicated

router = APIRouter(prefix="/v1", tags=["obligations"])

Today = Annotated[Clock, runtime(Clock)]
Idempotent = Annotated[Idempotency, idempotent()]


@router.get("/obligations", response_model=ObligationList, response_model_by_alias=True,
            summary="The returns a taxpayer owes over a range of months, with due dates and status",
            description="SPT Masa PPN for every month the taxpayer was a PKP (nil or not), SPT Tahunan OP or Badan "
                        "for every year the range touches from the year of registration. Status: open, filed, late "
                        "or overdue. Scope `filing:read`.",
            responses=responses(Unauthorized, MissingScope, TaxpayerForbidden, TaxpayerNotChosen,
                                TaxpayerNotReplicated, PeriodInvalid, RangeReversed, RangeTooLong))
async def list_obligations(
    principal: CurrentPrincipal, uow: Uow, clock: Today,
    first: Annotated[str, Query(alias="from", description="first month, YYYY-MM", examples=["2026-01"])],
    last: Annotated[str, Query(alias="to", description="last month, YYYY-MM", examples=["2026-12"])],
    npwp: Annotated[str | None, Query(pattern=r"^[0-9]{16}$", description="NPWP16; default: the token's only one")] = None,
) -> ObligationList:
    return await service.list_obligations(uow, principal, clock, npwp=npwp, first=first, last=last)


@router.post("/obligations/{obligation}/{year}/extension", response_model=ExtensionRead, status_code=201,
             summary="Extend an SPT Tahunan by up to 2 months (UU KUP Art 3(4)), asked before its deadline",
             description="The return's effective due date moves (the obligations list, filing and the sanction run "
                         "use the extended one). One extension per return. Scope `filing:submit`; send "
                         "`Idempotency-Key` to make a retry safe.",
             responses=responses(Unauthorized, MissingScope, TaxpayerForbidden, TaxpayerNotChosen,
                                 TaxpayerNotReplicated, ExtensionNotAnnual, ExtensionTooLong, ExtensionTooLate,
                                 ExtensionExists, ExtensionAlreadyFiled, ReturnNotOwed, CalendarYearUnknown,
                                 IdempotencyInProgress, IdempotencyKeyReused))
async def request_extension(
    obligation: Obligation, principal: CurrentPrincipal, uow: Uow, clock: Today, idem: Idempotent,
    year: Annotated[str, Path(pattern=r"^[0-9]{4}$", description="the tax year", examples=["2025"])],
    body: ExtensionCreate | None = None,
    npwp: Annotated[str | None, Query(pattern=r"^[0-9]{16}$", description="NPWP16; default: the token's only one")] = None,
) -> ExtensionRead:
    return await idem.run(201, lambda: service.request_extension(  # type: ignore[return-value]
        uow, principal, clock, npwp=npwp, obligation=obligation, year=year, body=body or ExtensionCreate()))
