"""Deposit routes: the taxpayer's deposit, allocation, transfer and refund requests (`/v1/deposit`); officers
decide refunds (`/internal/v1/deposit/refunds`)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from kit.auth import CurrentPrincipal, MissingScope, TaxpayerForbidden, TaxpayerNotChosen
from kit.dependencies import Uow
from kit.errors import Unauthorized
from kit.idempotency import Idempotency, IdempotencyInProgress, IdempotencyKeyReused, idempotent
from kit.pagination import InvalidCursor, Pagination
from payment.auth import OfficerClient
from payment.billing import errors as billing_errors
from payment.debts.errors import DebtAlreadySettled, DebtInInstalments, DebtNotFound
from payment.deposit import errors, service
from payment.deposit.schemas import (
    AllocationCreate,
    DepositRead,
    MovementRead,
    RefundCreate,
    RefundDecision,
    RefundQueue,
    TransferCreate,
)
from payment.errors import OfficerRequired, responses

Idempotent = Annotated[Idempotency, idempotent()]
TaxpayerParam = Annotated[str | None, Query(pattern=r"^[0-9]{16}$", description="NPWP16; default: the token's only one")]
_WHO = (Unauthorized, MissingScope, TaxpayerForbidden, TaxpayerNotChosen)
_IDEMPOTENCY = (IdempotencyInProgress, IdempotencyKeyReused)

router = APIRouter(prefix="/v1/deposit", tags=["deposit"])


@router.get("", response_model=DepositRead, summary="Your deposit: its balance and what left it, in keyset pages",
            responses=responses(*_WHO, InvalidCursor))
async def get_deposit(principal: CurrentPrincipal, uow: Uow, page: Pagination,
                      npwp: TaxpayerParam = None) -> DepositRead:
    return await service.get_deposit(uow, principal, page, npwp=npwp)


@router.post("/allocations", status_code=201, response_model=MovementRead,
             summary="Pay a liability from the deposit; the deposit date counts as the payment date",
             description="`debt_id`: what the debt still owes (it is settled, `DebtSettled`). Or `kap_kjs` with its "
                         "period or STP/SKP number and `amount`: a self-assessed liability recorded and paid. The "
                         "deposit is spent first in, first out: `deemed_paid_at` is the date it received that "
                         "money. `DepositAllocated`. Send `Idempotency-Key`.",
             responses=responses(*_WHO, errors.TargetInvalid, errors.NotForDeposit, errors.NamesADebt,
                                 errors.InsufficientDeposit, DebtNotFound, DebtAlreadySettled, DebtInInstalments,
                                 billing_errors.KapUnknown, billing_errors.AmountInvalid, *_IDEMPOTENCY))
async def allocate(body: AllocationCreate, principal: CurrentPrincipal, uow: Uow,
                   idempotency: Idempotent) -> JSONResponse:
    return await idempotency.run(201, lambda: service.allocate(uow, principal, body))


@router.post("/transfers", status_code=201, response_model=MovementRead,
             summary="Move part of the deposit to another taxpayer's deposit",
             responses=responses(*_WHO, errors.RecipientInvalid, errors.InsufficientDeposit,
                                 billing_errors.AmountInvalid, *_IDEMPOTENCY))
async def transfer(body: TransferCreate, principal: CurrentPrincipal, uow: Uow,
                   idempotency: Idempotent) -> JSONResponse:
    return await idempotency.run(201, lambda: service.transfer(uow, principal, body))


@router.post("/refunds", status_code=201, response_model=MovementRead,
             summary="Ask for a refund of the deposit; an officer approves or rejects it",
             responses=responses(*_WHO, errors.InsufficientDeposit, billing_errors.AmountInvalid, *_IDEMPOTENCY))
async def request_refund(body: RefundCreate, principal: CurrentPrincipal, uow: Uow,
                         idempotency: Idempotent) -> JSONResponse:
    return await idempotency.run(201, lambda: service.request_refund(uow, principal, body))


# -- officers ------------------------------------------------------------------------------------------------------
internal_router = APIRouter(prefix="/internal/v1/deposit/refunds", tags=["deposit refunds (officer)"])


@internal_router.get("", response_model=RefundQueue, summary="Refund requests waiting for a decision, oldest first",
                     responses=responses(Unauthorized, OfficerRequired, MissingScope))
async def refund_queue(principal: OfficerClient, uow: Uow,
                       limit: Annotated[int, Query(ge=1, le=200)] = 50) -> RefundQueue:
    return await service.refund_queue(uow, limit=limit)


@internal_router.post("/{movement_id}/decision", status_code=201, response_model=MovementRead,
                      summary="Approve (paid out, DepositDebited) or reject (with a reason) a refund",
                      responses=responses(Unauthorized, OfficerRequired, MissingScope, errors.RefundNotFound,
                                          errors.RefundDecided, errors.RejectionReasonRequired,
                                          errors.InsufficientDeposit, *_IDEMPOTENCY))
async def decide_refund(movement_id: uuid.UUID, body: RefundDecision, principal: OfficerClient, uow: Uow,
                        idempotency: Idempotent) -> JSONResponse:
    return await idempotency.run(201, lambda: service.decide_refund(uow, principal, movement_id, body))


routers = [router, internal_router]
