"""The faktur as a document: its PDF, its public verification (the PDF's QR code) and the export of a period."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import StreamingResponse

from invoice.documents import service
from invoice.documents.errors import InvoiceNotSigned, VerificationNotFound
from invoice.documents.schemas import VerificationRead
from invoice.errors import InvoiceNotFound
from invoice.settings import InvoiceSettings
from kit.app import state_of
from kit.auth import CurrentPrincipal
from kit.dependencies import Uow, settings_of

router = APIRouter(tags=["invoices"])
Settings = Annotated[InvoiceSettings, settings_of(InvoiceSettings)]


@router.get("/v1/invoices/export", tags=["uploads"], response_class=StreamingResponse,
            summary="The output view of a period as a TaxInvoiceBulk XML file (the upload accepts it again unchanged)",
            responses={200: {"content": {"application/xml": {}}}})
async def export_invoices(request: Request, principal: CurrentPrincipal,
                          period: Annotated[str, Query(pattern=r"^[0-9]{4}-[0-9]{2}$")],
                          npwp: Annotated[str | None, Query(pattern=r"^[0-9]{16}$")] = None,
                          status: Literal["draft", "signed", "cancelled", "replaced"] | None = None,
                          transaction_code: Annotated[str | None, Query(pattern=r"^[0-9]{2}$")] = None
                          ) -> StreamingResponse:
    name, content = service.export_period(state_of(request).sessions, principal, npwp=npwp, period=period,
                                          status=status, transaction_code=transaction_code)
    return StreamingResponse(content, media_type="application/xml", headers={
        "content-disposition": f'attachment; filename="{name}"', "cache-control": "private"})


@router.get("/v1/invoices/{invoice_id}/pdf", summary="The signed faktur as a PDF (UU PPN Art. 13(5) elements, QR)",
            response_class=Response,
            responses={200: {"content": {"application/pdf": {}}}, 404: InvoiceNotFound.openapi(),
                       409: InvoiceNotSigned.openapi()})
async def get_invoice_pdf(invoice_id: uuid.UUID, principal: CurrentPrincipal, uow: Uow,
                          settings: Settings) -> Response:
    name, content = await service.invoice_pdf(uow, principal, invoice_id, settings.public_url)
    return Response(content, media_type="application/pdf",
                    headers={"content-disposition": f'inline; filename="{name}"', "cache-control": "private"})


@router.get("/v1/public/invoices/{nsfp}/verification", response_model=VerificationRead, tags=["public"],
            summary="Public check of a faktur by its NSFP (the PDF's QR code): exists, summary, signature valid",
            responses={404: VerificationNotFound.openapi()})
async def verify_invoice(nsfp: Annotated[str, PathParam(pattern=r"^[0-9]{17}$")], uow: Uow) -> VerificationRead:
    return await service.verification(uow, nsfp)
