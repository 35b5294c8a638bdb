"""Invoice HTTP API."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse, StreamingResponse
from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert

from invoice import documents, export, lifecycle, service, signing, uploads, webhooks
from invoice.codes import CODES
from invoice.coretax_xml import seller_tin_hint
from invoice.errors import (
    IdempotencyInProgress,
    IdempotencyKeyReused,
    InvoiceInvalid,
    InvoiceNotDraft,
    InvoiceNotFound,
    InvoiceNotSigned,
    LifecycleInvalid,
    LifecycleRefused,
    SellerNotCaller,
    SigningJobNotFound,
    UnsupportedMediaType,
    UploadEmpty,
    UploadNotFound,
    UploadTooLarge,
    VerificationNotFound,
)
from invoice.jobs import JobRunner
from invoice.models import idempotency_key
from invoice.schemas import (
    CancellationCreate,
    InputTaxCreate,
    InvoiceBody,
    InvoiceCreate,
    InvoicePage,
    InvoiceRead,
    ReplacementCreate,
    ReturnCreate,
    ReturnRead,
    SigningJobCreate,
    SigningJobRead,
    UploadAccepted,
    UploadRead,
    VerificationRead,
)
from invoice.settings import InvoiceSettings
from kit.app import state_of
from kit.auth import CurrentPrincipal, Principal
from kit.dependencies import Uow, runtime
from kit.pagination import Pagination

router = APIRouter(tags=["invoices"])


UoW = Uow
Jobs = Annotated[JobRunner, runtime(JobRunner)]
IdemKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]


async def idempotent(request: Request, principal: Principal, key: str | None, body: bytes, status: int,
                     run: Any) -> JSONResponse:
    """Same key and body: the first response again. Same key, different body: 422 `idempotency.key_reused`.
    The key is claimed first in its own committed row (state `pending`, INSERT … ON CONFLICT DO NOTHING), so a
    concurrent second request with the key gets 409 `idempotency.in_progress` instead of running too; the result
    is stored on the claim. A failed request releases its claim (the client may retry); a claim left pending by a
    crashed process is taken over after `_CLAIM_STALE_S`."""
    if not key:
        return JSONResponse(await run(), status_code=status)
    owner = f"{principal.subject}|{(principal.actor or {}).get('sub', '')}"
    digest = hashlib.sha256(request.method.encode() + request.url.path.encode() + b"\n" + body).hexdigest()
    sessions = state_of(request).sessions
    where = (idempotency_key.c.owner == owner, idempotency_key.c.key == key)
    async with sessions() as s, s.begin():
        claimed = (await s.execute(insert(idempotency_key).values(
            owner=owner, key=key, request_hash=digest, state="pending").on_conflict_do_nothing()
            .returning(idempotency_key.c.key))).first() is not None
    if not claimed:
        async with sessions() as s, s.begin():
            stored = (await s.execute(select(idempotency_key).where(*where))).mappings().first()
            if stored is not None and stored["request_hash"] != digest:
                raise IdempotencyKeyReused("this Idempotency-Key was used with a different request")
            if stored is not None and stored["state"] == "done":
                return JSONResponse(stored["response"], status_code=stored["status_code"],
                                    headers={"idempotent-replayed": "true"})
            # pending: running elsewhere, unless abandoned (or released just now) → take it over
            claimed = (await s.execute(
                insert(idempotency_key).values(owner=owner, key=key, request_hash=digest, state="pending")
                .on_conflict_do_update(index_elements=["owner", "key"], set_={"created_at": func.now()},
                                       where=(idempotency_key.c.state == "pending") & (
                                           idempotency_key.c.created_at < func.now() - timedelta(
                                               seconds=_CLAIM_STALE_S)))
                .returning(idempotency_key.c.key))).first() is not None
        if not claimed:
            raise IdempotencyInProgress("a request with this Idempotency-Key is still being processed; retry later")
    try:
        content = await run()
    except BaseException:
        async with sessions() as s, s.begin():
            await s.execute(delete(idempotency_key).where(*where, idempotency_key.c.state == "pending"))
        raise
    async with sessions() as s, s.begin():
        await s.execute(update(idempotency_key).where(*where).values(state="done", status_code=status,
                                                                     response=content))
    return JSONResponse(content, status_code=status)


_CLAIM_STALE_S = 300


def _dump(model: Any) -> Any:
    return json.loads(model.model_dump_json())


@router.get("/v1/error-codes", summary="Every validation and error code, with its legacy ETAX code")
async def error_codes() -> list[dict[str, Any]]:
    return [{"code": c.code, "message": c.message, "legacy_code": c.legacy} for c in CODES.values()]


@router.post("/v1/invoices", status_code=201, response_model=InvoiceRead, summary="Create a draft invoice",
             responses={422: InvoiceInvalid.openapi()})
async def create_invoice(request: Request, body: InvoiceCreate, principal: CurrentPrincipal, uow: UoW,
                         idempotency_key: IdemKey = None) -> JSONResponse:
    async def run() -> Any:
        row = await service.create_draft(uow, principal, body.model_dump(mode="json"))
        return _dump(InvoiceRead.of(row))

    return await idempotent(request, principal, idempotency_key, await request.body(), 201, run)


@router.get("/v1/invoices", response_model=InvoicePage, summary="Output (seller) or input (buyer) invoices")
async def list_invoices(principal: CurrentPrincipal, uow: UoW, page: Pagination,
                        view: Literal["output", "input"] = "output",
                        npwp: Annotated[str | None, Query(pattern=r"^\d{16}$")] = None,
                        period: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")] = None,
                        status: Literal["draft", "signed"] | None = None,
                        counterparty: Annotated[str | None, Query(pattern=r"^\d{16}$")] = None,
                        transaction_code: Annotated[str | None, Query(pattern=r"^\d{2}$")] = None) -> InvoicePage:
    rows, cursor = await service.list_invoices(
        uow, principal, npwp=service.acting_taxpayer(principal, npwp), view=view, page=page, period=period,
        status=status, counterparty=counterparty, transaction_code=transaction_code)
    return InvoicePage(items=[InvoiceRead.of(r, with_lines=False) for r in rows], next_cursor=cursor)


@router.get("/v1/invoices/export", tags=["uploads"], response_class=StreamingResponse,
            summary="The output view of a period as a TaxInvoiceBulk XML file (the upload accepts it again unchanged)",
            responses={200: {"content": {"application/xml": {}}}})
async def export_invoices(request: Request, principal: CurrentPrincipal,
                          period: Annotated[str, Query(pattern=r"^\d{4}-\d{2}$")],
                          npwp: Annotated[str | None, Query(pattern=r"^\d{16}$")] = None,
                          status: Literal["draft", "signed", "cancelled", "replaced"] | None = None,
                          transaction_code: Annotated[str | None, Query(pattern=r"^\d{2}$")] = None
                          ) -> StreamingResponse:
    seller = service.acting_taxpayer(principal, npwp)
    service.authorize(principal, seller, service.READ_SCOPES)
    statuses = (status,) if status else export.DEFAULT_STATUSES
    body = export.stream(state_of(request).sessions, npwp=seller, period=period, statuses=statuses,
                         trx=transaction_code)
    return StreamingResponse(body, media_type="application/xml", headers={
        "content-disposition": f'attachment; filename="faktur-{seller}-{period}.xml"', "cache-control": "private"})


@router.get("/v1/invoices/{invoice_id}", response_model=InvoiceRead, responses={404: InvoiceNotFound.openapi()})
async def get_invoice(invoice_id: uuid.UUID, principal: CurrentPrincipal, uow: UoW) -> InvoiceRead:
    return InvoiceRead.of(await service.get_invoice(uow, principal, invoice_id))


@router.get("/v1/invoices/{invoice_id}/pdf", summary="The signed faktur as a PDF (UU PPN Art. 13(5) elements, QR)",
            response_class=Response,
            responses={200: {"content": {"application/pdf": {}}}, 404: InvoiceNotFound.openapi(),
                       409: InvoiceNotSigned.openapi()})
async def get_invoice_pdf(request: Request, invoice_id: uuid.UUID, principal: CurrentPrincipal, uow: UoW) -> Response:
    settings: InvoiceSettings = state_of(request).settings  # type: ignore[assignment]
    name, content = await documents.invoice_pdf(uow, principal, invoice_id, settings.public_url)
    return Response(content, media_type="application/pdf",
                    headers={"content-disposition": f'inline; filename="{name}"', "cache-control": "private"})


@router.get("/v1/public/invoices/{nsfp}/verification", response_model=VerificationRead, tags=["public"],
            summary="Public check of a faktur by its NSFP (the PDF's QR code): exists, summary, signature valid",
            responses={404: VerificationNotFound.openapi()})
async def verify_invoice(nsfp: Annotated[str, PathParam(pattern=r"^\d{17}$")], uow: UoW) -> VerificationRead:
    return VerificationRead.model_validate(await documents.verification(uow, nsfp))


@router.put("/v1/invoices/{invoice_id}", response_model=InvoiceRead, summary="Replace a draft",
            responses={404: InvoiceNotFound.openapi(), 409: InvoiceNotDraft.openapi(), 422: InvoiceInvalid.openapi()})
async def replace_invoice(invoice_id: uuid.UUID, body: InvoiceBody, principal: CurrentPrincipal,
                          uow: UoW) -> InvoiceRead:
    return InvoiceRead.of(await service.update_draft(uow, principal, invoice_id, body.model_dump(mode="json")))


@router.patch("/v1/invoices/{invoice_id}", response_model=InvoiceRead, summary="Change some fields of a draft",
              responses={404: InvoiceNotFound.openapi(), 409: InvoiceNotDraft.openapi(),
                         422: InvoiceInvalid.openapi()})
async def patch_invoice(invoice_id: uuid.UUID, patch: dict[str, Any], principal: CurrentPrincipal,
                        uow: UoW) -> InvoiceRead:
    current = InvoiceRead.of(await service.get_invoice(uow, principal, invoice_id))
    merged = {k: v for k, v in _dump(current).items() if k in InvoiceBody.model_fields}
    merged["buyer"] = {k: v for k, v in merged["buyer"].items() if k in ("document", "tin", "document_number",
                                                                         "country", "name", "address", "email",
                                                                         "nitku")}
    merged["lines"] = [{k: v for k, v in line.items() if k in ("opt", "code", "name", "unit", "price", "qty",
                                                               "discount", "stlg_rate")} for line in merged["lines"]]
    for key, value in patch.items():
        if key == "buyer" and isinstance(value, dict):
            merged["buyer"].update(value)
        else:
            merged[key] = value
    body = InvoiceBody.model_validate(merged)
    return InvoiceRead.of(await service.update_draft(uow, principal, invoice_id, body.model_dump(mode="json")))


@router.delete("/v1/invoices/{invoice_id}", status_code=204,
               responses={404: InvoiceNotFound.openapi(), 409: InvoiceNotDraft.openapi()})
async def delete_invoice(invoice_id: uuid.UUID, principal: CurrentPrincipal, uow: UoW) -> Response:
    await service.delete_draft(uow, principal, invoice_id)
    return Response(status_code=204)


# -- uploads ---------------------------------------------------------------------------------------------------
async def _read_limited(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise UploadTooLarge(f"the limit is {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise UploadTooLarge(f"the limit is {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


@router.post("/v1/invoice-uploads", status_code=202, response_model=UploadAccepted, tags=["uploads"],
             summary="Upload a Coretax TaxInvoiceBulk XML file (body application/xml, or multipart field `file`)",
             responses={413: UploadTooLarge.openapi(), 415: UnsupportedMediaType.openapi(),
                        403: SellerNotCaller.openapi()})
async def create_upload(request: Request, principal: CurrentPrincipal, uow: UoW, jobs: Jobs,
                        npwp: Annotated[str | None, Query(pattern=r"^\d{16}$")] = None,
                        callback_url: Annotated[str | None, Query(max_length=2000)] = None,
                        idempotency_key: IdemKey = None) -> JSONResponse:
    settings: InvoiceSettings = state_of(request).settings  # type: ignore[assignment]
    seller = service.acting_taxpayer(principal, npwp)
    webhooks.check_url(callback_url, settings)
    service.authorize(principal, seller, service.DRAFT_SCOPES)
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    limit = settings.uploads.max_bytes
    filename = None
    if media in ("application/xml", "text/xml"):
        content = await _read_limited(request, limit)
    elif media == "multipart/form-data":
        raw = await _read_limited(request, limit + 64 * 1024)
        request._body = raw  # the form parser reads the body we already bounded
        form = await request.form(max_files=1, max_fields=10)
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise UploadEmpty("send the file in the multipart field `file`")
        content = await upload.read()
        filename = upload.filename
        if len(content) > limit:
            raise UploadTooLarge(f"the limit is {limit} bytes")
    else:
        raise UnsupportedMediaType("send application/xml, or multipart/form-data with a `file`")
    if not content.strip():
        raise UploadEmpty()
    hint = seller_tin_hint(content)
    if hint is not None and hint != seller:
        raise SellerNotCaller(f"the file's seller TIN {hint} is not the taxpayer you act for ({seller})")

    async def run() -> Any:
        upload_id = await uploads.receive(uow, principal, npwp=seller, content=content, filename=filename,
                                          callback_url=callback_url)
        jobs.kick()
        return {"upload_id": str(upload_id), "state": "received"}

    return await idempotent(request, principal, idempotency_key,
                            content + b"\n" + (callback_url or "").encode(), 202, run)


@router.get("/v1/invoice-uploads/{upload_id}", response_model=UploadRead, tags=["uploads"],
            responses={404: UploadNotFound.openapi()})
async def get_upload(upload_id: uuid.UUID, principal: CurrentPrincipal, uow: UoW) -> UploadRead:
    return UploadRead.model_validate(await uploads.read_upload(uow, principal, upload_id))


# -- signing ---------------------------------------------------------------------------------------------------
@router.post("/v1/signing-jobs", status_code=202, response_model=SigningJobRead, tags=["signing"],
             summary="Sign drafts in one batch with your credential; the passphrase is kept only in memory")
async def create_signing_job(request: Request, body: SigningJobCreate, principal: CurrentPrincipal, uow: UoW,
                             jobs: Jobs, idempotency_key: IdemKey = None) -> JSONResponse:
    seller = service.acting_taxpayer(principal, body.seller_npwp)
    webhooks.check_url(body.callback_url, state_of(request).settings)

    async def run() -> Any:
        job = await signing.create_job(uow, principal, npwp=seller, invoice_ids=body.invoice_ids,
                                       upload_id=body.upload_id, period=body.period,
                                       credential_id=str(body.credential_id), callback_url=body.callback_url)
        if job["state"] == "running":
            jobs.start_signing(job["id"], body.passphrase.get_secret_value())
        return _dump(SigningJobRead.model_validate(job))

    raw = await request.body()
    # the passphrase is not part of the idempotency fingerprint (never stored, not even hashed)
    fingerprint = json.dumps({k: v for k, v in json.loads(raw or b"{}").items() if k != "passphrase"},
                             sort_keys=True).encode()
    return await idempotent(request, principal, idempotency_key, fingerprint, 202, run)


@router.get("/v1/signing-jobs/{job_id}", response_model=SigningJobRead, tags=["signing"],
            responses={404: SigningJobNotFound.openapi()})
async def get_signing_job(
        job_id: uuid.UUID, principal: CurrentPrincipal, uow: UoW,
        item_state: Annotated[Literal["pending", "signed", "failed"] | None, Query(
            description="only the items in this state (default: every item); the counts are always the job's")] = None,
) -> SigningJobRead:
    return SigningJobRead.model_validate(await signing.read_job(uow, principal, job_id, item_state))


@router.get("/v1/webhook-secret", tags=["webhooks"],
            summary="Your client's webhook signing key (HMAC-SHA256 of `t.body`, header Lontar-Signature)")
async def get_webhook_secret(request: Request, principal: CurrentPrincipal) -> dict[str, str]:
    settings: InvoiceSettings = state_of(request).settings  # type: ignore[assignment]
    client = webhooks.client_of(principal)
    return {"client_id": client, "algorithm": "HMAC-SHA256",
            "key": webhooks.client_key(settings.webhooks.secret.get_secret_value(), client)}


# -- lifecycle of a signed invoice -----------------------------------------------------------------------------------
_LIFECYCLE = {404: InvoiceNotFound.openapi(), 409: LifecycleRefused.openapi(), 422: LifecycleInvalid.openapi()}


@router.post("/v1/invoices/{invoice_id}/cancellation", response_model=InvoiceRead, tags=["lifecycle"],
             summary="Cancel a signed invoice (seller, invoice:sign; PER-11 Art 49)", responses=_LIFECYCLE)
async def cancel_invoice(invoice_id: uuid.UUID, body: CancellationCreate, principal: CurrentPrincipal,
                         uow: UoW) -> InvoiceRead:
    return InvoiceRead.of(await lifecycle.cancel(uow, principal, invoice_id, reason=body.reason, proof=body.proof))


@router.post("/v1/invoices/{invoice_id}/replacement", status_code=201, response_model=InvoiceRead,
             tags=["lifecycle"], responses=_LIFECYCLE,
             summary="Replacement draft of a signed invoice (faktur pengganti): signed, it takes the same serial "
                     "with the status code + 1")
async def replace_signed_invoice(invoice_id: uuid.UUID, body: ReplacementCreate, principal: CurrentPrincipal,
                                 uow: UoW) -> InvoiceRead:
    dumped = body.model_dump(mode="json")
    changes = {k: dumped[k] for k in body.model_fields_set}  # only what was sent; lines with their defaults
    return InvoiceRead.of(await lifecycle.replace(uow, principal, invoice_id, changes))


@router.post("/v1/invoices/{invoice_id}/returns", status_code=201, response_model=ReturnRead, tags=["lifecycle"],
             summary="Nota Retur by the buyer: partial, by line and quantity", responses=_LIFECYCLE)
async def create_return(invoice_id: uuid.UUID, body: ReturnCreate, principal: CurrentPrincipal,
                        uow: UoW) -> ReturnRead:
    return ReturnRead.model_validate(await lifecycle.issue_return(
        uow, principal, invoice_id, number=body.number, return_date=body.return_date,
        lines=[line.model_dump() for line in body.lines]))


@router.get("/v1/invoices/{invoice_id}/returns", response_model=list[ReturnRead], tags=["lifecycle"],
            responses={404: InvoiceNotFound.openapi()})
async def get_returns(invoice_id: uuid.UUID, principal: CurrentPrincipal, uow: UoW) -> list[ReturnRead]:
    return [ReturnRead.model_validate(r) for r in await lifecycle.list_returns(uow, principal, invoice_id)]


@router.post("/v1/invoices/{invoice_id}/input-tax", response_model=InvoiceRead, tags=["lifecycle"],
             summary="The buyer credits (within the window) or rejects the input tax", responses=_LIFECYCLE)
async def decide_input_tax(invoice_id: uuid.UUID, body: InputTaxCreate, principal: CurrentPrincipal,
                           uow: UoW) -> InvoiceRead:
    return InvoiceRead.of(await lifecycle.decide_input_tax(uow, principal, invoice_id, action=body.action,
                                                           period=body.period))
