"""Routes of the corrections slice: the history of a return's versions (Normal and pembetulan)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from filing.calendar.errors import PeriodInvalid
from filing.corrections import service
from filing.corrections.schemas import ReturnHistoryRead
from filing.forms.errors import FormUnknown
from filing.responses import responses
from kit.auth import CurrentPrincipal, MissingScope, TaxpayerForbidden, TaxpayerNotChosen
from kit.dependencies import Uow
from kit.errors import Unauthorized

router = APIRouter(prefix="/v1/returns", tags=["corrections"])

Form = Annotated[str, Path(pattern=r"^[a-z][a-z0-9-]*$", description="the form, e.g. spt-masa-ppn, spt-tahunan-op",
                           examples=["spt-masa-ppn"])]
Period = Annotated[str, Path(description="YYYY-MM (masa) or YYYY (annual)", examples=["2026-02"])]
Npwp = Annotated[str | None, Query(pattern=r"^[0-9]{16}$", description="NPWP16; default: the token's only taxpayer")]


@router.get("/{form}/{period}/versions", response_model=ReturnHistoryRead,
            summary="Every version of a return (Normal, Pembetulan ke-1, ...), oldest first",
            description="Each with its status, figures (as signed), digest, receipt and the STPs it bears (a late "
                        "Normal's fine, a pembetulan's Art 8(2)/(2a) interest). Scope `filing:read`.",
            responses=responses(Unauthorized, MissingScope, TaxpayerForbidden, TaxpayerNotChosen, FormUnknown,
                                PeriodInvalid))
async def get_history(form: Form, period: Period, principal: CurrentPrincipal, uow: Uow,
                      npwp: Npwp = None) -> ReturnHistoryRead:
    return await service.history(uow, principal, npwp=npwp, form=form, period=period)
