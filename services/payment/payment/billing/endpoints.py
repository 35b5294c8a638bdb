"""Billing-code routes for taxpayers and those acting for them (front ends, PJAP): create a self-assessed code,
read one's own code."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from kit.app import state_of
from kit.auth import CurrentPrincipal, MissingScope, TaxpayerForbidden, TaxpayerNotChosen
from kit.db import UnitOfWork
from kit.dependencies import Uow
from kit.errors import Unauthorized
from kit.idempotency import Idempotency, IdempotencyInProgress, IdempotencyKeyReused, idempotent
from kit.pagination import InvalidCursor, Pagination
from payment.billing import errors, service
from payment.billing.schemas import BillingBatch, BillingBatchResult, BillingCreate, BillingPage, BillingRead
from payment.errors import responses
from payment.phtb.errors import NOPInvalid

Idempotent = Annotated[Idempotency, idempotent()]


async def _issuer(request: Request) -> service.Issuer:
    state = state_of(request)
    return state.get_or_provide(service.Issuer, lambda: service.Issuer(state.sessions))


Issuer = Annotated[service.Issuer, Depends(_issuer)]

router = APIRouter(prefix="/v1/billing-codes", tags=["billing codes"])
_REFUSALS = (TaxpayerForbidden, TaxpayerNotChosen, errors.KapKjsInvalid, errors.KapUnknown, errors.KjsNotForKap,
             errors.PeriodRequired, errors.PeriodInvalid, errors.PeriodNotApplicable, errors.AssessmentNumberRequired,
             errors.AssessmentNumberInvalid, errors.AssessmentNumberNotApplicable, errors.AmountInvalid,
             errors.TransferRequired, errors.TransferNotApplicable, NOPInvalid)


@router.post("", status_code=201, response_model=BillingRead,
             summary="Create a self-assessed (mandiri) billing code",
             description="Send `Idempotency-Key` to make a retry return the first answer instead of a second code. "
                         "Codes linked to an SPT are created by submitting the SPT at filing, never here. Requests "
                         "arriving together are made together, in one transaction, each with its own answer.",
             responses=responses(Unauthorized, MissingScope, *_REFUSALS, IdempotencyInProgress,
                                 IdempotencyKeyReused))
async def create_billing_code(body: BillingCreate, principal: CurrentPrincipal, idempotency: Idempotent,
                              issuer: Issuer, request: Request) -> Response:
    if body.assessment_number is not None:  # may become a debt's own code, in the debt's transaction
        uow = UnitOfWork(state_of(request).sessions)
        return await idempotency.run(201, lambda: service.create_mandiri_billing(uow, principal, body))
    return await issuer.create(service.mandiri_request(principal, body, idempotency))


@router.post("/batch", response_model=BillingBatchResult,
             summary="Create up to 1,000 self-assessed (mandiri) billing codes in one call (PJAP), each with its own "
                     "result",
             description="Each item as `POST /v1/billing-codes` takes it (no STP/SKP number: "
                         "`billing.assessment_number_in_batch`), each answered in `results` (same order): 201 with "
                         "its code, or its refusal with the same stable code as the single call, nothing made for "
                         "it. One transaction; `Idempotency-Key` replays the whole answer.",
             responses=responses(Unauthorized, MissingScope, IdempotencyInProgress, IdempotencyKeyReused))
async def create_billing_codes(body: BillingBatch, principal: CurrentPrincipal, uow: Uow,
                               idempotency: Idempotent) -> JSONResponse:
    return await idempotency.run_in(uow, 200, lambda session: service.create_mandiri_batch_in(session, principal,
                                                                                              body.items))


@router.get("", response_model=BillingPage, summary="Your billing codes, oldest first, with their NTPN once paid",
            description="`status=active` gives what is still payable; `spt_id` the codes a submitted SPT waits for "
                        "(Bayar dan Lapor: filing asks payment for them, and they appear here within the consumer "
                        "lag). Keyset pages (`limit`, `cursor`).",
            responses=responses(Unauthorized, MissingScope, TaxpayerForbidden, TaxpayerNotChosen, InvalidCursor))
async def list_billing_codes(principal: CurrentPrincipal, uow: Uow, page: Pagination,
                             npwp: Annotated[str | None, Query(pattern=r"^[0-9]{16}$",
                                                               description="NPWP16; default: the token's only one")]
                             = None,
                             status: Annotated[Literal["active", "paid", "expired"] | None, Query()] = None,
                             spt_id: Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9-]+$")] = None,
                             ) -> BillingPage:
    return await service.list_billing(uow, principal, page, npwp=npwp, status=status, spt_id=spt_id)


@router.get("/{code}", response_model=BillingRead, summary="One of your billing codes, with its NTPN once paid",
            responses=responses(Unauthorized, MissingScope, errors.BillingCodeInvalid, errors.BillingNotFound))
async def get_billing_code(code: Annotated[str, Path(max_length=32)], principal: CurrentPrincipal,
                           uow: Uow) -> BillingRead:
    return await service.get_billing(uow, principal, code)
