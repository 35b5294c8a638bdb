"""Routes of the assessments slice: an officer's audits and the assessments (SKP) they conclude with, and a
taxpayer's SKPs."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from filing.assessments import service
from filing.assessments.errors import (
    AuditAlreadyOpen,
    AuditFormMismatch,
    AuditIsClosed,
    AuditNotFound,
    AuditOutcomeMismatch,
    SkpkbAfterEarlier,
    SkpkbtWithoutEarlier,
    SkpKindMismatch,
)
from filing.assessments.schemas import AuditClose, AuditCreate, AuditRead, SkpCreate, SkpRead
from filing.calendar.errors import CalendarYearUnknown, PeriodInvalid
from filing.forms.errors import FormUnknown
from filing.responses import responses
from filing.returns.errors import AmountNegative, AmountTooLarge, AmountTooPrecise
from filing.sanctions.auth import OfficerClient
from filing.sanctions.errors import InterestRateUnknown, OfficerRequired
from kit.auth import CurrentPrincipal, MissingScope, TaxpayerForbidden, TaxpayerNotChosen
from kit.clock import Clock
from kit.dependencies import Uow, runtime
from kit.errors import Unauthorized
from kit.idempotency import Idempotency, IdempotencyInProgress, IdempotencyKeyReused, idempotent
from kit.replica import TaxpayerNotReplicated

router = APIRouter(prefix="/v1", tags=["assessments"])
# Officers' routes sit under /internal, as every service's do: the public ingress never routes them.
officer_router = APIRouter(prefix="/internal/v1", tags=["assessments (officer)"])

Today = Annotated[Clock, runtime(Clock)]
Idempotent = Annotated[Idempotency, idempotent()]
_OFFICER = (Unauthorized, OfficerRequired, MissingScope)
_IDEM = (IdempotencyInProgress, IdempotencyKeyReused)
_OFFICER_TOKEN = "Officer's or internal client token with `filing:officer`. Send `Idempotency-Key` to make a " \
                 "retry safe."


@officer_router.post("/audits", response_model=AuditRead, status_code=201,
             summary="Start an audit of a taxpayer's period (officer)",
             description="From now on the period's returns (of `form`, or all when absent) are considered not filed "
                         "if submitted (UU KUP Art 3(7)(d)) and cannot be corrected (Art 8(1)). Publishes "
                         f"`AuditStarted`. {_OFFICER_TOKEN}",
             responses=responses(*_OFFICER, PeriodInvalid, FormUnknown, TaxpayerNotReplicated, AuditAlreadyOpen,
                                 *_IDEM))
async def open_audit(body: AuditCreate, principal: OfficerClient, uow: Uow, clock: Today,
                     idem: Idempotent) -> AuditRead:
    return await idem.run(201, lambda: service.open_audit(uow, clock, principal, body))  # type: ignore[return-value]


@officer_router.get("/audits/{audit_id}", response_model=AuditRead, summary="An audit and its assessments (officer)",
            responses=responses(*_OFFICER, AuditNotFound))
async def get_audit(audit_id: uuid.UUID, principal: OfficerClient, uow: Uow) -> AuditRead:
    return await service.get_audit(uow, principal, audit_id)


@officer_router.post("/audits/{audit_id}/skps", response_model=SkpRead, status_code=201,
             summary="Issue an assessment (SKPKB, SKPKBT, SKPLB, SKPN) on an open audit (officer)",
             description="SKPKB and SKPKBT bear UU KUP Art 13(2) interest on the principal (tier 4 of the KMK table, "
                         "from the end of the period to the issue date, at most 24 months) and are due 1 month "
                         "after issue (rolled to a working day). An SKPKBT follows an earlier assessment of the "
                         f"period and form, an SKPKB comes before any. Publishes `SKPIssued`. {_OFFICER_TOKEN}",
             responses=responses(*_OFFICER, AuditNotFound, AuditIsClosed, AuditFormMismatch, FormUnknown,
                                 SkpKindMismatch, SkpkbtWithoutEarlier, SkpkbAfterEarlier, AmountNegative, AmountTooPrecise,
                                 AmountTooLarge, InterestRateUnknown, CalendarYearUnknown, *_IDEM))
async def issue_skp(audit_id: uuid.UUID, body: SkpCreate, principal: OfficerClient, uow: Uow, clock: Today,
                    idem: Idempotent) -> SkpRead:
    return await idem.run(201, lambda: service.issue_skp(  # type: ignore[return-value]
        uow, clock, principal, audit_id, body))


@officer_router.post("/audits/{audit_id}/closure", response_model=AuditRead,
             summary="Close an audit (officer)",
             description="`assessed` when it issued an assessment, `no_findings` or `stopped` when it issued none. "
                         f"Publishes `AuditClosed` with the assessments' ids. {_OFFICER_TOKEN}",
             responses=responses(*_OFFICER, AuditNotFound, AuditIsClosed, AuditOutcomeMismatch, *_IDEM))
async def close_audit(audit_id: uuid.UUID, body: AuditClose, principal: OfficerClient, uow: Uow, clock: Today,
                      idem: Idempotent) -> AuditRead:
    return await idem.run(200, lambda: service.close_audit(  # type: ignore[return-value]
        uow, clock, principal, audit_id, body))


@router.get("/skps", response_model=list[SkpRead], summary="The assessments (SKP) issued to a taxpayer",
            description="Scope `filing:read`.",
            responses=responses(Unauthorized, MissingScope, TaxpayerForbidden, TaxpayerNotChosen))
async def list_skps(principal: CurrentPrincipal, uow: Uow,
                    npwp: Annotated[str | None, Query(pattern=r"^[0-9]{16}$")] = None) -> list[SkpRead]:
    return await service.list_skps(uow, principal, npwp=npwp)
