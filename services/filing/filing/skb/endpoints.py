"""Routes of the SKB slice: application (taxpayer), the officers' queue and decision, the withholders' reads."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query

from filing.calendar.errors import CalendarYearUnknown
from filing.responses import responses
from filing.sanctions.auth import OfficerClient
from filing.sanctions.errors import OfficerRequired
from filing.skb import service
from filing.skb.errors import SkbAlreadyDecided, SkbNotFound, SkbReasonRequired, SkbYearEnded
from filing.skb.schemas import SkbApplicationCreate, SkbApplicationRead, SkbDecisionCreate, SkbRead
from kit.auth import CurrentPrincipal, MissingScope, TaxpayerForbidden, TaxpayerNotChosen
from kit.clock import Clock
from kit.dependencies import Uow, runtime
from kit.errors import Unauthorized
from kit.idempotency import Idempotency, IdempotencyInProgress, IdempotencyKeyReused, idempotent
from kit.replica import TaxpayerNotReplicated

router = APIRouter(prefix="/v1/skb", tags=["skb"])
officer_router = APIRouter(prefix="/internal/v1/skb", tags=["skb (officer)"])

Today = Annotated[Clock, runtime(Clock)]
Idempotent = Annotated[Idempotency, idempotent()]
Npwp = Annotated[str | None, Query(pattern=r"^[0-9]{16}$", description="NPWP16; default: the token's only taxpayer")]
_AUTH = (Unauthorized, MissingScope)


@router.post("/applications", response_model=SkbApplicationRead, status_code=201,
             summary="Apply for an SKB (exemption from PPh 21, 22 or 23 withholding, PER-8/PJ/2025 Art 70-73)",
             description="Received today; decided by an officer within 5 working days (`decision_due`). Scope "
                         "`filing:submit`; `Idempotency-Key` honoured.",
             responses=responses(*_AUTH, TaxpayerForbidden, TaxpayerNotChosen, TaxpayerNotReplicated,
                                 CalendarYearUnknown, IdempotencyInProgress, IdempotencyKeyReused))
async def apply(body: SkbApplicationCreate, principal: CurrentPrincipal, uow: Uow, clock: Today, idem: Idempotent,
                npwp: Npwp = None) -> SkbApplicationRead:
    return await idem.run(201, lambda: service.apply(uow, principal, clock, npwp=npwp, body=body))  # type: ignore[return-value]


@officer_router.get("/applications", response_model=list[SkbApplicationRead],
            summary="Officers: the undecided applications, the earliest decision due first",
            responses=responses(*_AUTH, OfficerRequired))
async def pending(principal: OfficerClient, uow: Uow, clock: Today,
                  limit: Annotated[int, Query(ge=1, le=200)] = 50) -> list[SkbApplicationRead]:
    return await service.pending(uow, principal, clock, limit=limit)


@router.get("/applications/{application_id}", response_model=SkbApplicationRead,
            summary="An application (the applicant with `filing:read`, or an officer)",
            responses=responses(*_AUTH, OfficerRequired, SkbNotFound))
async def get_application(application_id: uuid.UUID, principal: CurrentPrincipal, uow: Uow,
                          clock: Today) -> SkbApplicationRead:
    return await service.get_application(uow, principal, clock, application_id)


@officer_router.post("/applications/{application_id}/decision", response_model=SkbApplicationRead,
             summary="Officers: approve (the SKB holds to the end of the tax year) or reject with a reason",
             responses=responses(*_AUTH, OfficerRequired, SkbNotFound, SkbAlreadyDecided, SkbReasonRequired,
                                 SkbYearEnded))
async def decide(application_id: uuid.UUID, body: SkbDecisionCreate, principal: OfficerClient, uow: Uow,
                 clock: Today) -> SkbApplicationRead:
    return await service.decide(uow, principal, clock, application_id, body)


@router.get("", response_model=list[SkbRead],
            summary="Withholders: the SKBs issued to a payee (by NPWP), newest first, and whether each holds today",
            responses=responses(*_AUTH))
async def of_npwp(principal: CurrentPrincipal, uow: Uow, clock: Today,
                  npwp: Annotated[str, Query(pattern=r"^[0-9]{16}$")]) -> list[SkbRead]:
    return await service.of_npwp(uow, principal, clock, npwp)


@router.get("/{number}", response_model=SkbRead, summary="Withholders: an SKB by its number",
            responses=responses(*_AUTH, SkbNotFound))
async def by_number(number: Annotated[str, Path(pattern=r"^SKB-[0-9]{4}-[0-9]{9}$")], principal: CurrentPrincipal,
                    uow: Uow, clock: Today) -> SkbRead:
    return await service.by_number(uow, principal, clock, number)
