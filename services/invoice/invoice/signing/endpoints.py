"""Batch signing jobs."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from invoice.jobs import JobRunner
from invoice.settings import InvoiceSettings
from invoice.signing import service
from invoice.signing.errors import SigningJobNotFound
from invoice.signing.schemas import SigningJobCreate, SigningJobRead
from kit.app import body_limit
from kit.auth import CurrentPrincipal
from kit.dependencies import Uow, runtime, settings_of
from kit.idempotency import Idempotency, idempotent

router = APIRouter(tags=["invoices", "signing"])
Settings = Annotated[InvoiceSettings, settings_of(InvoiceSettings)]
Jobs = Annotated[JobRunner, runtime(JobRunner)]
# the passphrase is not part of the idempotency fingerprint (never stored, not even hashed)
Idempotent = Annotated[Idempotency, idempotent(exclude=("passphrase",))]


@router.post("/v1/signing-jobs", status_code=202, response_model=SigningJobRead,
             summary="Sign drafts in one batch with your credential; the passphrase is kept only in memory")
@body_limit(8 * 1024 * 1024)  # up to 100,000 invoice ids
async def create_signing_job(body: SigningJobCreate, principal: CurrentPrincipal, uow: Uow, jobs: Jobs,
                             settings: Settings, idempotency: Idempotent) -> JSONResponse:
    return await idempotency.run(202, lambda: service.create_job(uow, settings, jobs, principal, body))


@router.get("/v1/signing-jobs/{job_id}", response_model=SigningJobRead, responses={404: SigningJobNotFound.openapi()})
async def get_signing_job(
        job_id: uuid.UUID, principal: CurrentPrincipal, uow: Uow,
        item_state: Annotated[Literal["pending", "signed", "failed"] | None, Query(
            description="only the items in this state (default: every item); the counts are always the job's")] = None,
) -> SigningJobRead:
    return await service.read_job(uow, principal, job_id, item_state)
