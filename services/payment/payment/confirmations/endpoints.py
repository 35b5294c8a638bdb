"""Routes for collecting banks (machine clients, MPN-style): inquire a billing code, confirm its payment."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from kit.auth import CurrentPrincipal, MissingScope
from kit.dependencies import Uow, settings_of
from kit.errors import Unauthorized
from payment.auth import BankClient
from payment.billing.errors import AmountInvalid, BillingCodeInvalid, BillingNotFound
from payment.confirmations import errors, service
from payment.confirmations.schemas import BillingInquiry, PaymentConfirm, PaymentReceipt, PaymentVerification
from payment.debts.errors import DebtAlreadySettled
from payment.errors import responses
from payment.settings import PaymentSettings

Settings = Annotated[PaymentSettings, settings_of(PaymentSettings)]

router = APIRouter(prefix="/v1/bank", tags=["collecting banks"])


@router.get("/billing-codes/{code}", response_model=BillingInquiry,
            summary="Inquiry: what a billing code pays, for whom, how much, and whether it can be paid",
            responses=responses(Unauthorized, errors.BankClientRequired, MissingScope, BillingCodeInvalid,
                                BillingNotFound))
async def inquire_billing_code(code: Annotated[str, Path(max_length=32)], principal: BankClient,
                               uow: Uow) -> BillingInquiry:
    return await service.inquire(uow, principal, code)


@router.post("/payments", status_code=201, response_model=PaymentReceipt,
             summary="Confirm the payment of a billing code; the answer carries the NTPN",
             description="201 with a new NTPN. The same confirmation again (same bank reference, code, amount and "
                         "paid_at) answers 200 with the same NTPN and changes nothing.",
             responses={200: {"description": "this confirmation was already answered: the same receipt"},
                        **responses(Unauthorized, errors.BankClientRequired, MissingScope, BillingCodeInvalid,
                                    AmountInvalid, errors.AmountMismatch, errors.PaidAtInvalid, BillingNotFound,
                                    errors.BillingExpired, errors.AlreadyPaid, errors.BankReferenceReused,
                                    DebtAlreadySettled)})
async def confirm_payment(body: PaymentConfirm, principal: BankClient, uow: Uow, settings: Settings,
                          response: Response) -> PaymentReceipt:
    confirmation = await service.confirm_payment(uow, principal, body, settings.bank)
    if not confirmation.created:
        response.status_code = 200
    return PaymentReceipt.of(confirmation.payment, confirmation.billing)


_PDF = {200: {"content": {"application/pdf": {}}, "description": "the BPN as a PDF"}}
NTPNPath = Annotated[str, Path(max_length=32, description="the payment's NTPN (16 characters)")]


def _pdf(name: str, content: bytes) -> Response:
    return Response(content, media_type="application/pdf",
                    headers={"content-disposition": f'inline; filename="{name}"', "cache-control": "private"})


@router.get("/payments/{ntpn}/bpn", response_class=Response,
            summary="The BPN (Bukti Penerimaan Negara) of a payment this bank confirmed, as a PDF",
            responses={**_PDF, **responses(Unauthorized, errors.BankClientRequired, MissingScope, errors.NTPNInvalid,
                                           errors.PaymentNotFound)})
async def get_bank_bpn(ntpn: NTPNPath, principal: BankClient, uow: Uow, settings: Settings) -> Response:
    return _pdf(*await service.bpn_for_bank(uow, principal, ntpn, settings.public_url))


receipts_router = APIRouter(tags=["payments"])


@receipts_router.get("/v1/payments/{ntpn}/bpn", response_class=Response,
                     summary="The BPN (Bukti Penerimaan Negara) of one of your payments, as a PDF with a QR code to "
                             "its public verification",
                     responses={**_PDF, **responses(Unauthorized, MissingScope, errors.NTPNInvalid,
                                                    errors.PaymentNotFound)})
async def get_bpn(ntpn: NTPNPath, principal: CurrentPrincipal, uow: Uow, settings: Settings) -> Response:
    return _pdf(*await service.bpn_for_taxpayer(uow, principal, ntpn, settings.public_url))


@receipts_router.get("/v1/public/payments/{ntpn}/verification", response_model=PaymentVerification,
                     tags=["public"], summary="Public check of a BPN by its NTPN (the PDF's QR code); NPWP masked",
                     responses=responses(errors.NTPNInvalid, errors.PaymentNotFound))
async def verify_payment(ntpn: NTPNPath, uow: Uow) -> PaymentVerification:
    return await service.verification(uow, ntpn)
