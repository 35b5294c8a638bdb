"""Debt routes: the taxpayer's debts and a billing code to pay one (`/v1/debts`), and the officers' legacy import
(`/internal/v1/legacy-debts/imports`: the public ingress does not route /internal)."""

from __future__ import annotations

import hashlib
import tempfile
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import IO, Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from kit.app import body_limit
from kit.auth import CurrentPrincipal, MissingScope, TaxpayerForbidden, TaxpayerNotChosen
from kit.dependencies import Uow, settings_of
from kit.errors import Unauthorized
from kit.idempotency import Idempotency, IdempotencyInProgress, IdempotencyKeyReused, idempotent
from kit.pagination import InvalidCursor, Pagination
from payment.auth import OfficerClient
from payment.billing.schemas import BillingRead
from payment.debts import errors, service
from payment.debts.legacy import COLUMNS, ROW_CODES
from payment.debts.schemas import DebtPage, DebtRead, LegacyImportReport
from payment.errors import OfficerRequired, responses
from payment.settings import PaymentSettings

Settings = Annotated[PaymentSettings, settings_of(PaymentSettings)]
TaxpayerParam = Annotated[str | None, Query(pattern=r"^[0-9]{16}$", description="NPWP16; default: the token's only one")]

router = APIRouter(prefix="/v1/debts", tags=["debts"])


@router.get("", response_model=DebtPage, summary="Your debts (STP, SKP, legacy), open and settled, oldest first",
            responses=responses(Unauthorized, MissingScope, TaxpayerForbidden, TaxpayerNotChosen, InvalidCursor))
async def list_debts(principal: CurrentPrincipal, uow: Uow, page: Pagination, npwp: TaxpayerParam = None,
                     status: Annotated[Literal["open", "settled"] | None, Query()] = None) -> DebtPage:
    return await service.list_debts(uow, principal, page, npwp=npwp, status=status)


@router.get("/{debt_id}", response_model=DebtRead, summary="One of your debts, with the code to pay it",
            responses=responses(Unauthorized, MissingScope, errors.DebtNotFound))
async def get_debt(debt_id: uuid.UUID, principal: CurrentPrincipal, uow: Uow) -> DebtRead:
    return await service.get_debt(uow, principal, debt_id)


@router.post("/{debt_id}/billing-code", status_code=201, response_model=BillingRead,
             summary="A billing code (origin bill) for the whole debt",
             description="Answers the debt's payable code: a new one, or the one still payable (a debt has one at a "
                         "time, so it is never paid twice). Its payment settles the debt (`DebtSettled`). Send "
                         "`Idempotency-Key` to make a retry return the first answer.",
             responses=responses(Unauthorized, MissingScope, errors.DebtNotFound, errors.DebtAlreadySettled,
                                 IdempotencyInProgress, IdempotencyKeyReused))
async def create_debt_billing_code(debt_id: uuid.UUID, principal: CurrentPrincipal, uow: Uow,
                                   idempotency: Annotated[Idempotency, idempotent()]) -> JSONResponse:
    return await idempotency.run(201, lambda: service.create_debt_billing(uow, principal, debt_id))


# -- officers ------------------------------------------------------------------------------------------------------
internal_router = APIRouter(prefix="/internal/v1/legacy-debts", tags=["legacy debts (officer)"])


SPOOL_IN_MEMORY = 4 * 1024 * 1024  # a larger file goes to a temporary file on disk as it arrives


@dataclass(frozen=True)
class LegacyUpload:
    file: IO[bytes]  # spooled: in memory up to SPOOL_IN_MEMORY, then on disk
    digest: str  # SHA-256 of the body, hex
    size: int


async def csv_body(request: Request, settings: Settings) -> AsyncIterator[LegacyUpload]:
    """The request's body spooled (a national file is ~100 bytes a row: never held in memory whole) with its
    SHA-256, refused past `legacy_import.max_bytes` before it is all read (kit's body limit counts the bytes too:
    this route's limit is that setting, not the default)."""
    limit = settings.legacy_import.max_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise errors.LegacyFileTooLarge(f"the file has {declared} bytes; one import takes {limit}", max_bytes=limit)
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 (closed below)
    try:
        digest, size = hashlib.sha256(), 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise errors.LegacyFileTooLarge(f"the file has more than {limit} bytes", max_bytes=limit)
            digest.update(chunk)
            spool.write(chunk)
        spool.seek(0)
        yield LegacyUpload(spool, digest.hexdigest(), size)
    finally:
        spool.close()


CsvBody = Annotated[LegacyUpload, Depends(csv_body)]


async def csv_identity(upload: CsvBody) -> list[bytes]:
    """What identifies the request for `Idempotency-Key`: the file's digest (not a second pass over the file)."""
    return [upload.digest.encode()]


_ROW_CODES = "\n".join(f"- `{code}`: {what}" for code, what in ROW_CODES.items())


@internal_router.post(
    "/imports", status_code=201, response_model=LegacyImportReport,
    summary="Import debts from the legacy system (CSV); answers the reconciliation report",
    description=f"UTF-8 CSV with a header naming the columns {', '.join(f'`{c}`' for c in COLUMNS)} (`period` "
                "and/or `assessment_number`: what the KAP-KJS takes). Each row is imported, found already imported "
                "(same `legacy_reference`, same contents: the same file twice imports nothing new), or rejected "
                "with a stable code; the report's totals equal the file's. An imported debt is payable at once "
                "(`POST /v1/debts/{id}/billing-code`). Row codes:\n" + _ROW_CODES,
    openapi_extra={"requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}},
    responses=responses(Unauthorized, OfficerRequired, MissingScope, errors.LegacyHeaderInvalid,
                        errors.LegacyFileEmpty, errors.LegacyFileUnreadable, errors.LegacyFileTooLarge,
                        IdempotencyInProgress, IdempotencyKeyReused))
@body_limit(lambda settings: settings.legacy_import.max_bytes, error=errors.LegacyFileTooLarge)
async def import_legacy_debts(principal: OfficerClient, uow: Uow, settings: Settings, content: CsvBody,
                              idempotency: Annotated[Idempotency, idempotent(body=csv_identity)]) -> JSONResponse:
    return await idempotency.run(201, lambda: service.import_legacy_debts(
        uow, principal, content.file, settings.legacy_import, digest=content.digest))


@internal_router.get("/imports/{import_id}", response_model=LegacyImportReport,
                     summary="The reconciliation report of an import",
                     responses=responses(Unauthorized, OfficerRequired, MissingScope,
                                         errors.LegacyImportNotFound))
async def get_legacy_import(import_id: uuid.UUID, principal: OfficerClient, uow: Uow) -> LegacyImportReport:
    return await service.get_legacy_import(uow, import_id)


routers = [router, internal_router]
