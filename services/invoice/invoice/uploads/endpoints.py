"""Coretax XML bulk uploads."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from invoice.jobs import JobRunner
from invoice.settings import InvoiceSettings
from invoice.uploads import service
from invoice.uploads.body import MULTIPART_ALLOWANCE, Uploaded, fingerprint
from invoice.uploads.errors import SellerNotCaller, UnsupportedMediaType, UploadNotFound, UploadTooLarge
from invoice.uploads.schemas import UploadAccepted, UploadRead
from kit.app import body_limit
from kit.auth import CurrentPrincipal
from kit.dependencies import Uow, runtime, settings_of
from kit.idempotency import Idempotency, idempotent
from kit.text import text

router = APIRouter(tags=["invoices", "uploads"])
Settings = Annotated[InvoiceSettings, settings_of(InvoiceSettings)]
Jobs = Annotated[JobRunner, runtime(JobRunner)]
Idempotent = Annotated[Idempotency, idempotent(body=fingerprint)]


@router.post("/v1/invoice-uploads", status_code=202, response_model=UploadAccepted,
             summary="Upload a Coretax TaxInvoiceBulk XML file (body application/xml, or multipart field `file`)",
             responses={413: UploadTooLarge.openapi(), 415: UnsupportedMediaType.openapi(),
                        403: SellerNotCaller.openapi()})
@body_limit(lambda settings: settings.uploads.max_bytes + MULTIPART_ALLOWANCE, error=UploadTooLarge)
async def create_upload(principal: CurrentPrincipal, file: Uploaded, uow: Uow, jobs: Jobs, settings: Settings,
                        idempotency: Idempotent,
                        npwp: Annotated[str | None, Query(pattern=r"^[0-9]{16}$")] = None,
                        callback_url: Annotated[text(2000) | None, Query()] = None) -> JSONResponse:
    return await idempotency.run(202, lambda: service.receive(uow, settings, jobs, principal, npwp=npwp, file=file,
                                                              callback_url=callback_url))


@router.get("/v1/invoice-uploads/{upload_id}", response_model=UploadRead, responses={404: UploadNotFound.openapi()})
async def get_upload(upload_id: uuid.UUID, principal: CurrentPrincipal, uow: Uow) -> UploadRead:
    return await service.read_upload(uow, principal, upload_id)
