"""Routes of the submissions slice: sign and submit the SPT Masa PPN, read where it stands, its receipt (JSON and
PDF), and the public verification of a receipt."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from filing.calendar.errors import CalendarYearUnknown, PeriodInvalid
from filing.corrections.errors import (
    CorrectionOverpaymentTooLate,
    CorrectionUnderAudit,
    CorrectionWithoutNormal,
    NormalAlreadyFiled,
)
from filing.forms.errors import FieldRequired, FormUnknown
from filing.forms.service import form_code
from filing.responses import responses
from filing.returns.errors import (
    ReturnAlreadyAssessed,
    ReturnAttachmentsMissing,
    ReturnChanged,
    ReturnNotDraft,
    ReturnNotOwed,
    ReturnOverpaymentTooLate,
    ReturnUnderAudit,
    ReturnUnsigned,
)
from filing.sanctions.errors import InterestRateUnknown
from filing.settings import FilingSettings
from filing.submissions import service
from filing.submissions.errors import (
    BatchDuplicate,
    NoLoginSession,
    PaidAmountDiffers,
    PassphraseOrSession,
    ReceiptNotFound,
    SignerUnavailable,
    SubmissionNotFound,
    SubmissionsBusy,
)
from filing.submissions.schemas import (
    BatchSubmissionCreate,
    BatchSubmissionRead,
    ReceiptRead,
    ReceiptVerificationRead,
    SubmissionCreate,
    SubmissionRead,
)
from kit.app import state_of
from kit.auth import CurrentPrincipal, MissingScope, TaxpayerForbidden, TaxpayerNotChosen
from kit.clock import Clock
from kit.dependencies import Uow, runtime, settings_of
from kit.errors import Unauthorized
from kit.idempotency import Idempotency, IdempotencyInProgress, IdempotencyKeyReused, idempotent
from kit.replica import TaxpayerNotReplicated
from kit.signing import IdentityClient

router = APIRouter(tags=["submissions"])

Period = Annotated[str, Path(description="masa pajak, YYYY-MM", examples=["2026-02"])]
Npwp = Annotated[str | None, Query(pattern=r"^[0-9]{16}$", description="NPWP16; default: the token's only taxpayer")]
Number = Annotated[str, Path(pattern=r"^BPE-[0-9]{8}-[0-9A-Z]{12}$", description="the receipt (BPE) number",
                             examples=["BPE-20260415-7K3M9Q2XW4PA"])]
Settings = Annotated[FilingSettings, settings_of(FilingSettings)]
Identity = Annotated[IdentityClient, runtime(IdentityClient)]


async def _desk(request: Request) -> service.SubmissionDesk:
    """The process's desk of single submissions, made on first use (it needs the identity client a start-up step
    provided). A coroutine, so it is made on the event loop, once."""
    state = state_of(request)
    settings = state.settings
    assert isinstance(settings, FilingSettings)
    return state.get_or_provide(service.SubmissionDesk, lambda: service.SubmissionDesk(
        state.sessions, state.get(IdentityClient), settings.public_url))


Desk = Annotated[service.SubmissionDesk, Depends(_desk)]
Today = Annotated[Clock, runtime(Clock)]
# the passphrase and the signing session are not part of the idempotency fingerprint (never stored, not even hashed)
Idempotent = Annotated[Idempotency, idempotent(exclude=("passphrase", "signing_session"))]
_AUTH = (Unauthorized, MissingScope, TaxpayerForbidden, TaxpayerNotChosen)
_KEY = (PassphraseOrSession, NoLoginSession)


@router.post("/v1/returns/spt-masa-ppn/{period}/submission", response_model=SubmissionRead,
             summary="Sign and submit the SPT Masa PPN (Bayar dan Lapor when it shows a kurang bayar)",
             description="Signs the open version (the Normal, or the next pembetulan once a version is filed; "
                         "started if there is none) with the signer's "
                         "credential through identity and submits it. A nil or lebih bayar return is filed at once "
                         "with its receipt (`status: filed`); a kurang bayar one waits for payment "
                         "(`status: awaiting_payment`, one billing code per KAP-KJS made by payment) and is filed "
                         "when the payment is confirmed. Filed after its due date, it bears the UU KUP Art 7(1) fine "
                         "as an STP. Refused, changing nothing, when UU KUP Art 3(7) would consider it not filed "
                         "(`return.unsigned`: identity refused the signature, `details.signer_code` says why; "
                         "`return.overpayment_too_late`: a lebih bayar return more than 3 years after its period, "
                         "after a written warning; `return.audit_started`, `return.assessment_issued`), when a "
                         "pembetulan is refused by UU "
                         "KUP Art 8 (`correction.under_audit`, `correction.overpayment_too_late`), or when no such "
                         "return is owed. A pembetulan (published as `SPTCorrected`) pays what it raises over the "
                         "version it corrects, and the raise bears Art 8(2a) interest as an STP once paid. "
                         "Scope `filing:submit`. Send `Idempotency-Key` to make a retry safe.",
             responses=responses(*_AUTH, PeriodInvalid, TaxpayerNotReplicated, ReturnNotOwed, NormalAlreadyFiled,
                                 CorrectionWithoutNormal, CorrectionUnderAudit, CorrectionOverpaymentTooLate,
                                 ReturnNotDraft, ReturnChanged, ReturnUnderAudit, ReturnAlreadyAssessed,
                                 ReturnOverpaymentTooLate, PaidAmountDiffers, ReturnUnsigned, CalendarYearUnknown,
                                 InterestRateUnknown, SignerUnavailable, SubmissionsBusy, IdempotencyInProgress,
                                 IdempotencyKeyReused, *_KEY))
async def submit_spt_masa_ppn(period: Period, body: SubmissionCreate, principal: CurrentPrincipal, desk: Desk,
                              clock: Today, idem: Idempotent, npwp: Npwp = None) -> SubmissionRead:
    return await idem.run(200, lambda: service.submit_spt_masa_ppn(  # type: ignore[return-value]
        desk, clock, principal, npwp=npwp, period=period, body=body))


@router.post("/v1/returns/submissions", response_model=BatchSubmissionRead,
             summary="Sign and submit many returns at once (a PJAP or consultant filing for its clients)",
             description="Up to 500 returns (`npwp`, `form`, `period`, `revision?`), each checked as if submitted "
                         "alone (the same refusals, UU KUP Art 3(7) included); the digests of all accepted ones are "
                         "signed with one credential in ONE identity call (`passphrase` or `signing_session`), then "
                         "each is filed or waits for payment. 200 with one item per return, in order: `filed` or "
                         "`awaiting_payment` with its `submission` (receipt or payments), or `refused` with the "
                         "`error` (code, `details.path` into the request) and nothing written for it. identity "
                         "refusing or unreachable signs and writes nothing (`return.unsigned` 422, "
                         "`signature.identity_unavailable` 503). Scope `filing:submit`, and the token must act for "
                         "every NPWP listed (else 403 `auth.taxpayer_forbidden`, `details.path`). Send "
                         "`Idempotency-Key` to make a retry safe.",
             responses=responses(*_AUTH, *_KEY, BatchDuplicate, ReturnUnsigned, SignerUnavailable,
                                 IdempotencyInProgress, IdempotencyKeyReused))
async def submit_batch(body: BatchSubmissionCreate, principal: CurrentPrincipal, uow: Uow, identity: Identity,
                       clock: Today, settings: Settings, idem: Idempotent) -> BatchSubmissionRead:
    return await idem.run(200, lambda: service.submit_batch(  # type: ignore[return-value]
        uow, identity, clock, principal, body=body, public_url=settings.public_url))


@router.get("/v1/returns/spt-masa-ppn/{period}/submission", response_model=SubmissionRead,
            summary="Where the submitted SPT Masa PPN of a period stands: awaiting payment, or filed with its receipt",
            description="The newest submitted version of the period. Scope `filing:read`.",
            responses=responses(*_AUTH, PeriodInvalid, SubmissionNotFound))
async def get_submission(period: Period, principal: CurrentPrincipal, uow: Uow, settings: Settings,
                         npwp: Npwp = None) -> SubmissionRead:
    return await service.get_submission(uow, principal, npwp=npwp, period=period, public_url=settings.public_url)


Form = Annotated[str, Path(pattern=r"^[a-z][a-z0-9-]*$", description="the form, e.g. spt-masa-pph21, "
                                                                     "spt-masa-pph-unifikasi, spt-tahunan-op, "
                                                                     "spt-tahunan-badan", examples=["spt-tahunan-op"])]
AnyPeriod = Annotated[str, Path(description="YYYY-MM for a masa form, YYYY for an annual one", examples=["2025"])]


@router.post("/v1/returns/{form}/{period}/submission", response_model=SubmissionRead,
             summary="Sign and submit a data-driven return (Bayar dan Lapor when it owes tax)",
             description="As the SPT Masa PPN's submission, for any form: the open version (Normal, or pembetulan "
                         "once one is filed) is signed through identity and filed at once when it owes nothing, or "
                         "waits for one payment per KAP-KJS it owes (a pembetulan: what it raises). Refused, "
                         "changing nothing, when a required field (`form.field_required`) or attachment "
                         "(`return.attachments_missing`, UU KUP Art 3(7)(b)) is missing, and as the SPT Masa PPN's. "
                         "Scope `filing:submit`. Send `Idempotency-Key` to make a retry safe.",
             responses=responses(*_AUTH, FormUnknown, PeriodInvalid, TaxpayerNotReplicated, ReturnNotOwed,
                                 NormalAlreadyFiled, CorrectionWithoutNormal, CorrectionUnderAudit,
                                 CorrectionOverpaymentTooLate, ReturnNotDraft, ReturnChanged, ReturnUnderAudit,
                                 ReturnAlreadyAssessed, ReturnOverpaymentTooLate, ReturnAttachmentsMissing,
                                 FieldRequired, PaidAmountDiffers,
                                 ReturnUnsigned, CalendarYearUnknown, InterestRateUnknown, SignerUnavailable,
                                 SubmissionsBusy, IdempotencyInProgress, IdempotencyKeyReused, *_KEY))
async def submit_return(form: Form, period: AnyPeriod, body: SubmissionCreate, principal: CurrentPrincipal,
                        desk: Desk, clock: Today, idem: Idempotent, npwp: Npwp = None) -> SubmissionRead:
    return await idem.run(200, lambda: service.submit(  # type: ignore[return-value]
        desk, clock, principal, npwp=npwp, form=form_code(form), period=period, body=body))


@router.get("/v1/returns/{form}/{period}/submission", response_model=SubmissionRead,
            summary="Where the submitted return of a period stands: awaiting payment, or filed with its receipt",
            description="The newest submitted version of the period. Scope `filing:read`.",
            responses=responses(*_AUTH, FormUnknown, PeriodInvalid, SubmissionNotFound))
async def get_return_submission(form: Form, period: AnyPeriod, principal: CurrentPrincipal, uow: Uow,
                                settings: Settings, npwp: Npwp = None) -> SubmissionRead:
    return await service.get_submission(uow, principal, npwp=npwp, period=period, public_url=settings.public_url,
                                        form=form_code(form))


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
