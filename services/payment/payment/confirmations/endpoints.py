"""Routes for collecting banks (machine clients, MPN-style): inquire a billing code, confirm its payment."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response

from kit.app import state_of
from kit.auth import CurrentPrincipal, MissingScope
from kit.dependencies import Uow, settings_of
from kit.errors import AppError, Unauthorized
from kit.routing import LeanRoute
from payment.auth import BankClient
from payment.billing.errors import AmountInvalid, BillingCodeInvalid, BillingNotFound
from payment.billing.schemas import ItemProblem
from payment.confirmations import errors, service
from payment.confirmations.schemas import (
    BillingInquiry,
    PaymentBatch,
    PaymentBatchItem,
    PaymentBatchResult,
    PaymentConfirm,
    PaymentReceipt,
    PaymentVerification,
)
from payment.debts.errors import DebtAlreadySettled
from payment.errors import responses
from payment.settings import PaymentSettings

Settings = Annotated[PaymentSettings, settings_of(PaymentSettings)]


async def _confirmer(request: Request) -> service.Confirmer:
    state = state_of(request)
    settings = state.settings
    assert isinstance(settings, PaymentSettings)
    return state.get_or_provide(service.Confirmer, lambda: service.Confirmer(state.sessions, settings.bank))


Confirmer = Annotated[service.Confirmer, Depends(_confirmer)]
_REFUSALS = (BillingCodeInvalid, AmountInvalid, errors.AmountMismatch, errors.PaidAtInvalid, BillingNotFound,
             errors.BillingExpired, errors.AlreadyPaid, errors.BankReferenceReused, DebtAlreadySettled)

# A bank's single confirmations are the hottest route of the service (>= 2,000/s): LeanRoute skips FastAPI's general
# handler where a route allows it (kit.routing), and the route comes first, since FastAPI tries routes in order.
router = APIRouter(prefix="/v1/bank", tags=["collecting banks"], route_class=LeanRoute)


@router.post("/payments", status_code=201, response_model=PaymentReceipt,
             summary="Confirm the payment of a billing code; the answer carries the NTPN",
             description="201 with a new NTPN. The same confirmation again (same bank reference, code, amount and "
                         "paid_at) answers 200 with the same NTPN and changes nothing. Confirmations arriving "
                         "together are applied together, in one transaction, each with its own answer.",
             responses={200: {"description": "this confirmation was already answered: the same receipt"},
                        **responses(Unauthorized, errors.BankClientRequired, MissingScope, *_REFUSALS)})
async def confirm_payment(body: PaymentConfirm, principal: BankClient, confirmer: Confirmer) -> Response:
    confirmation = await confirmer.confirm(service.requests_of(principal, [body])[0])
    return Response(confirmation.receipt.model_dump_json(), status_code=201 if confirmation.created else 200,
                    media_type="application/json")


@router.get("/billing-codes/{code}", response_model=BillingInquiry,
            summary="Inquiry: what a billing code pays, for whom, how much, and whether it can be paid",
            responses=responses(Unauthorized, errors.BankClientRequired, MissingScope, BillingCodeInvalid,
                                BillingNotFound))
async def inquire_billing_code(code: Annotated[str, Path(max_length=32)], principal: BankClient,
                               uow: Uow) -> BillingInquiry:
    return await service.inquire(uow, principal, code)


@router.post("/payments/batch", response_model=PaymentBatchResult,
             summary="Confirm up to 1,000 payments in one call (host-to-host), each with its own result",
             description="Each item as `POST /v1/bank/payments` takes it, each answered in `results` (same order) "
                         "as that call would: 201 with a new NTPN, 200 with the receipt of a confirmation answered "
                         "before (a retried file, or the same item twice), or its refusal with the same stable code, "
                         "which changes nothing for that item. The file is applied in one transaction; two items "
                         "naming the same code or bank reference are taken in file order.",
             responses=responses(Unauthorized, errors.BankClientRequired, MissingScope))
async def confirm_payments(body: PaymentBatch, principal: BankClient, uow: Uow, settings: Settings) -> Response:
    outcomes = await service.confirm_payments(uow, service.requests_of(principal, body.payments), settings.bank)
    results = [_item(outcome) for outcome in outcomes]
    result = PaymentBatchResult(results=results, confirmed=sum(r.status == 201 for r in results),
                                answered_before=sum(r.status == 200 for r in results),
                                refused=sum(r.status >= 400 for r in results))
    return Response(result.model_dump_json(), media_type="application/json")


def _item(outcome: service.Outcome) -> PaymentBatchItem:
    if isinstance(outcome, AppError):
        return PaymentBatchItem(status=outcome.status, error=ItemProblem(
            code=outcome.code, title=outcome.title, detail=outcome.detail, details=outcome.details or None))
    return PaymentBatchItem(status=201 if outcome.created else 200, receipt=outcome.receipt)


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
