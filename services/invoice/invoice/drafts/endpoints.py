"""Draft invoices by API: create, list, read, change, delete; and the catalogue of the codes they are checked by."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse

from invoice.drafts import service
from invoice.drafts.schemas import InvoiceBody, InvoiceCreate, InvoicePage, InvoiceRead
from invoice.errors import InvoiceInvalid, InvoiceNotDraft, InvoiceNotFound
from kit.auth import CurrentPrincipal
from kit.dependencies import Uow
from kit.idempotency import Idempotency, idempotent
from kit.pagination import Pagination

router = APIRouter(tags=["invoices"])
Idempotent = Annotated[Idempotency, idempotent()]


@router.get("/v1/error-codes", summary="Every validation and error code, with its legacy ETAX code")
async def error_codes() -> list[dict[str, Any]]:
    return service.error_codes()


@router.post("/v1/invoices", status_code=201, response_model=InvoiceRead, summary="Create a draft invoice",
             responses={422: InvoiceInvalid.openapi()})
async def create_invoice(body: InvoiceCreate, principal: CurrentPrincipal, uow: Uow,
                         idempotency: Idempotent) -> JSONResponse:
    return await idempotency.run(201, lambda: service.create_draft(uow, principal, body))


@router.get("/v1/invoices", response_model=InvoicePage, summary="Output (seller) or input (buyer) invoices")
async def list_invoices(principal: CurrentPrincipal, uow: Uow, page: Pagination,
                        view: Literal["output", "input"] = "output",
                        npwp: Annotated[str | None, Query(pattern=r"^[0-9]{16}$")] = None,
                        period: Annotated[str | None, Query(pattern=r"^[0-9]{4}-[0-9]{2}$")] = None,
                        status: Literal["draft", "signed"] | None = None,
                        counterparty: Annotated[str | None, Query(pattern=r"^[0-9]{16}$")] = None,
                        transaction_code: Annotated[str | None, Query(pattern=r"^[0-9]{2}$")] = None) -> InvoicePage:
    return await service.list_invoices(uow, principal, npwp=npwp, view=view, page=page, period=period, status=status,
                                       counterparty=counterparty, transaction_code=transaction_code)


@router.get("/v1/invoices/{invoice_id}", response_model=InvoiceRead, responses={404: InvoiceNotFound.openapi()})
async def get_invoice(invoice_id: uuid.UUID, principal: CurrentPrincipal, uow: Uow) -> InvoiceRead:
    return await service.get_invoice(uow, principal, invoice_id)


@router.put("/v1/invoices/{invoice_id}", response_model=InvoiceRead, summary="Replace a draft",
            responses={404: InvoiceNotFound.openapi(), 409: InvoiceNotDraft.openapi(), 422: InvoiceInvalid.openapi()})
async def replace_invoice(invoice_id: uuid.UUID, body: InvoiceBody, principal: CurrentPrincipal,
                          uow: Uow) -> InvoiceRead:
    return await service.update_draft(uow, principal, invoice_id, body)


@router.patch("/v1/invoices/{invoice_id}", response_model=InvoiceRead, summary="Change some fields of a draft",
              responses={404: InvoiceNotFound.openapi(), 409: InvoiceNotDraft.openapi(),
                         422: InvoiceInvalid.openapi()})
async def patch_invoice(invoice_id: uuid.UUID, patch: dict[str, Any], principal: CurrentPrincipal,
                        uow: Uow) -> InvoiceRead:
    return await service.patch_draft(uow, principal, invoice_id, patch)


@router.delete("/v1/invoices/{invoice_id}", status_code=204,
               responses={404: InvoiceNotFound.openapi(), 409: InvoiceNotDraft.openapi()})
async def delete_invoice(invoice_id: uuid.UUID, principal: CurrentPrincipal, uow: Uow) -> Response:
    await service.delete_draft(uow, principal, invoice_id)
    return Response(status_code=204)
