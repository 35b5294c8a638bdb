"""The lifecycle of a signed invoice: cancellation, replacement, Nota Retur, the buyer's input-tax decision."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from invoice.drafts.schemas import InvoiceRead
from invoice.errors import InvoiceNotFound
from invoice.lifecycle import service
from invoice.lifecycle.errors import LifecycleInvalid, LifecycleRefused
from invoice.lifecycle.schemas import CancellationCreate, InputTaxCreate, ReplacementCreate, ReturnCreate, ReturnRead
from kit.auth import CurrentPrincipal
from kit.dependencies import Uow

router = APIRouter(tags=["invoices", "lifecycle"])
_LIFECYCLE = {404: InvoiceNotFound.openapi(), 409: LifecycleRefused.openapi(), 422: LifecycleInvalid.openapi()}


@router.post("/v1/invoices/{invoice_id}/cancellation", response_model=InvoiceRead,
             summary="Cancel a signed invoice (seller, invoice:sign; PER-11 Art 49)", responses=_LIFECYCLE)
async def cancel_invoice(invoice_id: uuid.UUID, body: CancellationCreate, principal: CurrentPrincipal,
                         uow: Uow) -> InvoiceRead:
    return await service.cancel(uow, principal, invoice_id, reason=body.reason, proof=body.proof)


@router.post("/v1/invoices/{invoice_id}/replacement", status_code=201, response_model=InvoiceRead,
             responses=_LIFECYCLE,
             summary="Replacement draft of a signed invoice (faktur pengganti): signed, it takes the same serial "
                     "with the status code + 1")
async def replace_signed_invoice(invoice_id: uuid.UUID, body: ReplacementCreate, principal: CurrentPrincipal,
                                 uow: Uow) -> InvoiceRead:
    return await service.replace(uow, principal, invoice_id, body)


@router.post("/v1/invoices/{invoice_id}/returns", status_code=201, response_model=ReturnRead,
             summary="Nota Retur by the buyer: partial, by line and quantity", responses=_LIFECYCLE)
async def create_return(invoice_id: uuid.UUID, body: ReturnCreate, principal: CurrentPrincipal,
                        uow: Uow) -> ReturnRead:
    return await service.issue_return(uow, principal, invoice_id, number=body.number, return_date=body.return_date,
                                      lines=[line.model_dump() for line in body.lines])


@router.get("/v1/invoices/{invoice_id}/returns", response_model=list[ReturnRead],
            responses={404: InvoiceNotFound.openapi()})
async def get_returns(invoice_id: uuid.UUID, principal: CurrentPrincipal, uow: Uow) -> list[ReturnRead]:
    return await service.list_returns(uow, principal, invoice_id)


@router.post("/v1/invoices/{invoice_id}/input-tax", response_model=InvoiceRead,
             summary="The buyer credits (within the window) or rejects the input tax", responses=_LIFECYCLE)
async def decide_input_tax(invoice_id: uuid.UUID, body: InputTaxCreate, principal: CurrentPrincipal,
                           uow: Uow) -> InvoiceRead:
    return await service.decide_input_tax(uow, principal, invoice_id, action=body.action, period=body.period)

