"""Routes of the submissions slice: sign and submit the SPT Masa PPN, read where it stands, its receipt (JSON and
PDF), and the public verification of a receipt."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from filing.calendar.errors import CalendarYearUnknown, PeriodInvalid
from filing.clock import Clock
from filing.corrections.errors import NormalAlreadyFiled
from filing.identity_client import IdentityClient
from filing.responses import responses
from filing.returns.errors import ReturnChanged, ReturnNotDraft, ReturnNotOwed, ReturnUnderAudit, ReturnUnsigned
from filing.settings import FilingSettings
from filing.submissions import service
from filing.submissions.errors import PaidAmountDiffers, ReceiptNotFound, SignerUnavailable, SubmissionNotFound
from filing.submissions.schemas import ReceiptRead, ReceiptVerificationRead, SubmissionCreate, SubmissionRead
from kit.auth import CurrentPrincipal, MissingScope, TaxpayerForbidden, TaxpayerNotChosen
from kit.dependencies import Uow, runtime, settings_of
from kit.errors import Unauthorized
from kit.idempotency import Idempotency, IdempotencyInProgress, IdempotencyKeyReused, idempotent
from kit.replica import TaxpayerNotReplicated

router = APIRouter(tags=["submissions"])

Period = Annotated[str, Path(description="masa pajak, YYYY-MM", examples=["2026-02"])]
Npwp = Annotated[str | None, Query(pattern=r"^\d{16}$", description="NPWP16; default: the token's only taxpayer")]
Number = Annotated[str, Path(pattern=r"^BPE-\d{8}-[0-9A-Z]{12}$", description="the receipt (BPE) number",
                             examples=["BPE-20260415-7K3M9Q2XW4PA"])]
Settings = Annotated[FilingSettings, settings_of(FilingSettings)]
Identity = Annotated[IdentityClient, runtime(IdentityClient)]
Today = Annotated[Clock, runtime(Clock)]
# the passphrase is not part of the idempotency fingerprint (never stored, not even hashed)
Idempotent = Annotated[Idempotency, idempotent(exclude=("passphrase",))]
_AUTH = (Unauthorized, MissingScope, TaxpayerForbidden, TaxpayerNotChosen)


@router.post("/v1/returns/spt-masa-ppn/{period}/submission", response_model=SubmissionRead,
             summary="Sign and submit the SPT Masa PPN (Bayar dan Lapor when it shows a kurang bayar)",
             description="Signs the open version (the Normal; started if there is none) with the signer's "
                         "credential through identity and submits it. A nil or lebih bayar return is filed at once "
                         "with its receipt (`status: filed`); a kurang bayar one waits for payment "
                         "(`status: awaiting_payment`, one billing code per KAP-KJS made by payment) and is filed "
                         "when the payment is confirmed. Filed after its due date, it bears the UU KUP Art 7(1) fine "
                         "as an STP. Refused, changing nothing, when UU KUP Art 3(7) would consider it not filed "
                         "(`return.unsigned`: identity refused the signature, `details.signer_code` says why; "
                         "`return.audit_started`), when a Normal is already filed, or when no such return is owed. "
                         "Scope `filing:submit`. Send `Idempotency-Key` to make a retry safe.",
             responses=responses(*_AUTH, PeriodInvalid, TaxpayerNotReplicated, ReturnNotOwed, NormalAlreadyFiled,
                                 ReturnNotDraft, ReturnChanged, ReturnUnderAudit, PaidAmountDiffers, ReturnUnsigned,
                                 CalendarYearUnknown, SignerUnavailable, IdempotencyInProgress,
                                 IdempotencyKeyReused))
async def submit_spt_masa_ppn(period: Period, body: SubmissionCreate, principal: CurrentPrincipal, uow: Uow,
                              identity: Identity, clock: Today, settings: Settings, idem: Idempotent,
                              npwp: Npwp = None) -> SubmissionRead:
    return await idem.run(200, lambda: service.submit_spt_masa_ppn(  # type: ignore[return-value]
        uow, identity, clock, principal, npwp=npwp, period=period, body=body, public_url=settings.public_url))


@router.get("/v1/returns/spt-masa-ppn/{period}/submission", response_model=SubmissionRead,
            summary="Where the submitted SPT Masa PPN of a period stands: awaiting payment, or filed with its receipt",
            description="The newest submitted version of the period. Scope `filing:read`.",
            responses=responses(*_AUTH, PeriodInvalid, SubmissionNotFound))
async def get_submission(period: Period, principal: CurrentPrincipal, uow: Uow, settings: Settings,
                         npwp: Npwp = None) -> SubmissionRead:
    return await service.get_submission(uow, principal, npwp=npwp, period=period, public_url=settings.public_url)


@router.get("/v1/receipts/{number}", response_model=ReceiptRead, summary="A filing receipt (BPE)",
            description="Scope `filing:read`, for one of the token's taxpayers (another's is not found).",
            responses=responses(*_AUTH, ReceiptNotFound))
async def get_receipt(number: Number, principal: CurrentPrincipal, uow: Uow, settings: Settings) -> ReceiptRead:
    return await service.get_receipt(uow, principal, number, settings.public_url)


@router.get("/v1/receipts/{number}/pdf", response_class=Response,
            summary="A filing receipt (BPE) as a PDF, with a QR code to its public verification",
            responses={200: {"content": {"application/pdf": {}}}, **responses(*_AUTH, ReceiptNotFound)})
async def get_receipt_pdf(number: Number, principal: CurrentPrincipal, uow: Uow, settings: Settings) -> Response:
    name, content = await service.receipt_pdf(uow, principal, number, settings.public_url)
    return Response(content, media_type="application/pdf",
                    headers={"content-disposition": f'inline; filename="{name}"'})


@router.get("/v1/receipts/{number}/verification", response_model=ReceiptVerificationRead,
            tags=["public"], summary="Public: verify a filing receipt (the PDF's QR code)",
            description="No token. Only the masked NPWP, the form, the period, when it was filed, the digest of the "
                        "signed content and whether content, digest and signature still agree.",
            responses=responses(ReceiptNotFound))
async def verify_receipt(number: Number, uow: Uow) -> ReceiptVerificationRead:
    return await service.verify_receipt(uow, number)
