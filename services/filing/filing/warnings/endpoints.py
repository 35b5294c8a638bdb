"""Officer routes of the warnings slice: record a written warning (Surat Teguran) about a taxpayer's return, and
list a taxpayer's. Under /internal, as every officer route (the public ingress never routes them)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from filing.calendar.errors import PeriodInvalid
from filing.forms.errors import FormUnknown
from filing.responses import responses
from filing.sanctions.auth import OfficerClient
from filing.sanctions.errors import OfficerRequired
from filing.warnings import service
from filing.warnings.errors import WarningDateInvalid, WarningNumberExists
from filing.warnings.schemas import WrittenWarningCreate, WrittenWarningRead
from kit.auth import MissingScope
from kit.clock import Clock
from kit.dependencies import Uow, runtime
from kit.errors import Unauthorized
from kit.idempotency import Idempotency, IdempotencyInProgress, IdempotencyKeyReused, idempotent
from kit.replica import TaxpayerNotReplicated

officer_router = APIRouter(prefix="/internal/v1", tags=["written warnings (officer)"])

Today = Annotated[Clock, runtime(Clock)]
Idempotent = Annotated[Idempotency, idempotent()]
_OFFICER = (Unauthorized, OfficerRequired, MissingScope)


@officer_router.post("/written-warnings", response_model=WrittenWarningRead, status_code=201,
                     summary="Record a written warning (Surat Teguran) about a taxpayer's return (officer)",
                     description="From the warning's date, a lebih bayar return of that form and period submitted "
                                 "more than 3 years after the period ended is considered not filed and refused "
                                 "(`return.overpayment_too_late`, UU KUP Art 3(7)(c)). The letter's date is after "
                                 "the period ended and not after today (`warning.date_invalid`); its number is "
                                 "recorded once (`warning.number_exists`). Officer's or internal client token with "
                                 "`filing:officer`. Send `Idempotency-Key` to make a retry safe.",
                     responses=responses(*_OFFICER, FormUnknown, PeriodInvalid, TaxpayerNotReplicated,
                                         WarningDateInvalid, WarningNumberExists, IdempotencyInProgress,
                                         IdempotencyKeyReused))
async def record_warning(body: WrittenWarningCreate, principal: OfficerClient, uow: Uow, clock: Today,
                         idem: Idempotent) -> WrittenWarningRead:
    return await idem.run(201, lambda: service.record_warning(  # type: ignore[return-value]
        uow, clock, principal, body))


@officer_router.get("/written-warnings", response_model=list[WrittenWarningRead],
                    summary="A taxpayer's written warnings, oldest first (officer)",
                    responses=responses(*_OFFICER, FormUnknown, PeriodInvalid))
async def list_warnings(principal: OfficerClient, uow: Uow,
                        npwp: Annotated[str, Query(pattern=r"^[0-9]{16}$")],
                        form: Annotated[str | None, Query(pattern=r"^[a-z][a-z0-9_-]*$")] = None,
                        period: Annotated[str | None, Query(description="YYYY-MM or YYYY")] = None,
                        ) -> list[WrittenWarningRead]:
    return await service.list_warnings(uow, principal, npwp=npwp, form=form, period=period)
