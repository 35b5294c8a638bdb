"""Routes of the obligations slice."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from filing.calendar.errors import PeriodInvalid
from filing.clock import Clock
from filing.obligations import service
from filing.obligations.errors import RangeReversed, RangeTooLong
from filing.obligations.schemas import ObligationList
from filing.responses import responses
from kit.auth import CurrentPrincipal, MissingScope, TaxpayerForbidden, TaxpayerNotChosen
from kit.dependencies import Uow, runtime
from kit.errors import Unauthorized
from kit.replica import TaxpayerNotReplicated

router = APIRouter(prefix="/v1", tags=["obligations"])

Today = Annotated[Clock, runtime(Clock)]


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
    npwp: Annotated[str | None, Query(pattern=r"^\d{16}$", description="NPWP16; default: the token's only one")] = None,
) -> ObligationList:
    return await service.list_obligations(uow, principal, clock, npwp=npwp, first=first, last=last)
