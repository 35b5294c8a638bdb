"""Instalment and postponement routes: the taxpayer applies, reads, and gets each instalment's billing code
(`/v1/instalments`); officers see the queue and decide (`/internal/v1/instalments`)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse

from kit.auth import CurrentPrincipal, MissingScope
from kit.clock import Clock
from kit.dependencies import Uow, runtime
from kit.errors import Unauthorized
from kit.idempotency import Idempotency, IdempotencyInProgress, IdempotencyKeyReused, idempotent
from payment.auth import OfficerClient
from payment.billing.schemas import BillingRead
from payment.debts.errors import DebtAlreadySettled, DebtNotFound, InterestRateUnknown
from payment.errors import OfficerRequired, responses
from payment.instalments import errors, service
from payment.instalments.schemas import ArrangementCreate, ArrangementQueue, ArrangementRead, Decision

Idempotent = Annotated[Idempotency, idempotent()]
Today = Annotated[Clock, runtime(Clock)]

router = APIRouter(prefix="/v1/instalments", tags=["instalments"])


@router.post("", status_code=201, response_model=ArrangementRead,
             summary="Apply for instalments or a postponement of one of your debts, or of an SPT's PPh 29",
             description="Name a debt (`debt_id`) or an annual SPT submitted with PPh 29 kurang bayar and waiting "
                         "for payment (`spt_id`; granted, its PPh 29 becomes a debt due by the filing deadline and "
                         "the SPT's code expires). DJP decides within 3 (PPh 29) or 7 working days of receipt "
                         "(`decide_by`). The terms are checked at once (at most 12 months after the due date). Send "
                         "`Idempotency-Key` to make a retry return the first answer.",
             responses=responses(Unauthorized, MissingScope, DebtNotFound, DebtAlreadySettled, errors.SptNotFound,
                                 errors.SptPaid, errors.AlreadyApplied, errors.PostponementTermsInvalid,
                                 errors.TermsInvalid,
                                 errors.TermTooLong, errors.CalendarYearUnknown, InterestRateUnknown,
                                 IdempotencyInProgress, IdempotencyKeyReused))
async def apply(body: ArrangementCreate, principal: CurrentPrincipal, uow: Uow, idempotency: Idempotent,
                clock: Today) -> JSONResponse:
    return await idempotency.run(201, lambda: service.apply(uow, principal, body, today=clock.today()))


@router.get("/{arrangement_id}", response_model=ArrangementRead,
            summary="Your application, and once granted its schedule",
            responses=responses(Unauthorized, MissingScope, errors.ArrangementNotFound))
async def get_arrangement(arrangement_id: uuid.UUID, principal: CurrentPrincipal, uow: Uow) -> ArrangementRead:
    return await service.get(uow, principal, arrangement_id)


@router.post("/{arrangement_id}/instalments/{number}/billing-code", status_code=201, response_model=BillingRead,
             summary="The billing code (origin bill) of one instalment: principal plus interest",
             description="A new code, or the one still payable. Its payment marks the instalment paid; the last "
                         "one settles the debt (`DebtSettled`). Send `Idempotency-Key`.",
             responses=responses(Unauthorized, MissingScope, errors.ArrangementNotFound, errors.NotGranted,
                                 errors.InstalmentNotFound, errors.InstalmentPaid, IdempotencyInProgress,
                                 IdempotencyKeyReused))
async def instalment_billing_code(arrangement_id: uuid.UUID, number: Annotated[int, Path(ge=1, le=1000)],
                                  principal: CurrentPrincipal, uow: Uow, idempotency: Idempotent) -> JSONResponse:
    return await idempotency.run(201, lambda: service.instalment_billing(uow, principal, arrangement_id, number))


# -- officers ------------------------------------------------------------------------------------------------------
internal_router = APIRouter(prefix="/internal/v1/instalments", tags=["instalments (officer)"])


@internal_router.get("", response_model=ArrangementQueue,
                     summary="Applications waiting for a decision, most urgent first",
                     responses=responses(Unauthorized, OfficerRequired, MissingScope))
async def queue(principal: OfficerClient, uow: Uow,
                limit: Annotated[int, Query(ge=1, le=200)] = 50) -> ArrangementQueue:
    return await service.queue(uow, limit=limit)


@internal_router.get("/{arrangement_id}", response_model=ArrangementRead, summary="An application",
                     responses=responses(Unauthorized, OfficerRequired, MissingScope, errors.ArrangementNotFound))
async def officer_get(arrangement_id: uuid.UUID, principal: OfficerClient, uow: Uow) -> ArrangementRead:
    return await service.officer_get(uow, arrangement_id)


@internal_router.post(
    "/{arrangement_id}/decision", status_code=201, response_model=ArrangementRead,
    summary="Approve (the schedule, InstalmentGranted) or reject (with a reason)",
    description="Approval books the schedule's Art 19(2) tier-1 interest on the debt and expires the debt's code for "
                "the whole amount, if one is payable. For an SPT's PPh 29 it first records the debt from the SPT's "
                "code, which then expires. Send `Idempotency-Key`.",
    responses=responses(Unauthorized, OfficerRequired, MissingScope, errors.ArrangementNotFound,
                        errors.AlreadyDecided, errors.RejectionReasonRequired, DebtAlreadySettled, errors.SptPaid,
                        errors.SptNotAwaitingPayment,
                        errors.TermTooLong, InterestRateUnknown, IdempotencyInProgress, IdempotencyKeyReused))
async def decide(arrangement_id: uuid.UUID, body: Decision, principal: OfficerClient, uow: Uow,
                 idempotency: Idempotent) -> JSONResponse:
    return await idempotency.run(201, lambda: service.decide(uow, principal, arrangement_id, body))


routers = [router, internal_router]
