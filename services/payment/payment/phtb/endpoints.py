"""PPh PHTB validation routes: the seller or the notary (PPAT) requests, an officer decides what the rules could not,
the land office reads validations and receives them by webhook, anyone checks a letter by its QR code."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from kit.auth import CurrentPrincipal, MissingScope, TaxpayerForbidden, TaxpayerNotChosen
from kit.dependencies import Uow, settings_of
from kit.errors import Unauthorized
from kit.idempotency import Idempotency, IdempotencyInProgress, IdempotencyKeyReused, idempotent
from kit.pagination import Pagination
from kit.webhooks import CallbackUrlForbidden, CallbackUrlInvalid
from payment.auth import LandOfficeClient, OfficerClient
from payment.billing.errors import AmountInvalid
from payment.confirmations.errors import NTPNInvalid
from payment.errors import LandOfficeRequired, OfficerRequired, responses
from payment.phtb import errors, service
from payment.phtb.schemas import (
    Decision,
    SubscriptionPut,
    SubscriptionRead,
    ValidationCreate,
    ValidationPage,
    ValidationRead,
    ValidationVerification,
    WebhookSecretRead,
)
from payment.settings import PaymentSettings

Settings = Annotated[PaymentSettings, settings_of(PaymentSettings)]
Idempotent = Annotated[Idempotency, idempotent()]
_PDF = {200: {"content": {"application/pdf": {}}, "description": "the letter as a PDF"}}

router = APIRouter(prefix="/v1/phtb/validations", tags=["PPh PHTB validation"])


@router.post("", status_code=201, response_model=ValidationRead,
             summary="Request the validation of the PPh final on a land or building transfer (PP 34/2016)",
             description="The seller (a taxpayer token with `payment:write`) or a notary's client (kind `ppat`, "
                         "`payment:phtb`, naming `seller_npwp`). The rules check the payment the NTPN names "
                         "(411128-402, amount = rate x value, NOP, value, seller and buyer): `validated` at once with "
                         "the letter, or `pending` with the reasons an officer looks at. `Idempotency-Key` replays "
                         "the first answer.",
             responses=responses(Unauthorized, MissingScope, TaxpayerForbidden, TaxpayerNotChosen,
                                 errors.NOPInvalid, errors.CategoryUnknown, AmountInvalid, NTPNInvalid,
                                 errors.NTPNRequired, errors.SellerRequired, errors.ValidationExists,
                                 IdempotencyInProgress, IdempotencyKeyReused))
async def request_validation(body: ValidationCreate, principal: CurrentPrincipal, uow: Uow, settings: Settings,
                             idempotency: Idempotent) -> Response:
    return await idempotency.run(
        201, lambda: service.request_validation(uow, principal, body, settings.public_url))


@router.get("/{validation_id}", response_model=ValidationRead,
            summary="A validation: its status, the reasons it waits for an officer, its letter once validated",
            responses=responses(Unauthorized, errors.ValidationNotFound))
async def get_validation(validation_id: uuid.UUID, principal: CurrentPrincipal, uow: Uow,
                         settings: Settings) -> ValidationRead:
    return await service.get_validation(uow, principal, validation_id, settings.public_url)


@router.get("/{validation_id}/letter", response_class=Response,
            summary="The Surat Keterangan Validasi as a PDF, with a QR code to its public verification",
            responses={**_PDF, **responses(Unauthorized, errors.ValidationNotFound, errors.NotValidated)})
async def get_letter(validation_id: uuid.UUID, principal: CurrentPrincipal, uow: Uow, settings: Settings) -> Response:
    name, content = await service.letter_pdf(uow, principal, validation_id, settings.public_url)
    return Response(content, media_type="application/pdf",
                    headers={"content-disposition": f'inline; filename="{name}"', "cache-control": "private"})


officer_router = APIRouter(prefix="/internal/v1/phtb/validations", tags=["PPh PHTB validation", "officers"])


@officer_router.get("", response_model=ValidationPage, summary="The officer queue: pending requests, oldest first",
                    responses=responses(Unauthorized, OfficerRequired, MissingScope))
async def list_queue(principal: OfficerClient, uow: Uow, page: Pagination, settings: Settings) -> ValidationPage:
    return await service.officer_queue(uow, page, settings.public_url)


@officer_router.post("/{validation_id}/approve", response_model=ValidationRead,
                     summary="Approve a pending request: the letter is issued and the land offices told",
                     responses=responses(Unauthorized, OfficerRequired, MissingScope, errors.ValidationNotFound,
                                         errors.AlreadyDecided, errors.NTPNAlreadyValidated, IdempotencyInProgress,
                                         IdempotencyKeyReused))
async def approve(validation_id: uuid.UUID, body: Decision, principal: OfficerClient, uow: Uow, settings: Settings,
                  idempotency: Idempotent) -> Response:
    return await idempotency.run(200, lambda: service.decide(uow, principal, validation_id, body, approve=True,
                                                             public_url=settings.public_url))


@officer_router.post("/{validation_id}/reject", response_model=ValidationRead,
                     summary="Reject a pending request, saying why (note)",
                     responses=responses(Unauthorized, OfficerRequired, MissingScope, errors.ValidationNotFound,
                                         errors.AlreadyDecided, errors.RejectionNoteRequired, IdempotencyInProgress,
                                         IdempotencyKeyReused))
async def reject(validation_id: uuid.UUID, body: Decision, principal: OfficerClient, uow: Uow, settings: Settings,
                 idempotency: Idempotent) -> Response:
    return await idempotency.run(200, lambda: service.decide(uow, principal, validation_id, body, approve=False,
                                                             public_url=settings.public_url))


land_office_router = APIRouter(prefix="/v1/land-office", tags=["PPh PHTB validation", "land offices"])
_LAND = (Unauthorized, LandOfficeRequired, MissingScope)


@land_office_router.get("/phtb-validations", response_model=ValidationRead,
                        summary="The validated transfer of a NOP with this NTPN (or letter number)",
                        responses=responses(*_LAND, errors.NOPInvalid, NTPNInvalid, errors.LookupKeyRequired,
                                            errors.ValidationNotFound))
async def find_validation(principal: LandOfficeClient, uow: Uow, settings: Settings,
                          nop: Annotated[str, Query(max_length=32)],
                          ntpn: Annotated[str | None, Query(max_length=32)] = None,
                          number: Annotated[str | None, Query(max_length=64)] = None) -> ValidationRead:
    return await service.land_office_lookup(uow, nop, ntpn=ntpn, number=number, public_url=settings.public_url)


@land_office_router.put("/webhook", response_model=SubscriptionRead,
                        summary="Where this land office receives each new validation (signed POST, at least once)",
                        description="Each delivery carries `Lontar-Signature` (HMAC-SHA256 of `t.body` with the key "
                                    "from `GET /v1/land-office/webhook-secret`) and `Lontar-Delivery` (the same on "
                                    "every attempt: deduplicate on it).",
                        responses=responses(*_LAND, CallbackUrlInvalid, CallbackUrlForbidden,
                                            errors.NOPPrefixInvalid))
async def put_webhook(body: SubscriptionPut, principal: LandOfficeClient, uow: Uow,
                      settings: Settings) -> SubscriptionRead:
    return await service.put_subscription(uow, principal, body, settings)


@land_office_router.get("/webhook", response_model=SubscriptionRead, summary="This land office's webhook",
                        responses=responses(*_LAND, errors.SubscriptionNotFound))
async def get_webhook(principal: LandOfficeClient, uow: Uow) -> SubscriptionRead:
    return await service.get_subscription(uow, principal)


@land_office_router.get("/webhook-secret", response_model=WebhookSecretRead,
                        summary="This land office's webhook signing key", responses=responses(*_LAND))
async def get_webhook_secret(principal: LandOfficeClient, settings: Settings) -> WebhookSecretRead:
    return service.webhook_secret(principal, settings)


public_router = APIRouter(tags=["public"])


@public_router.get("/v1/public/phtb-validations/{validation_id}/verification", response_model=ValidationVerification,
                   summary="Public check of a validation letter (its QR code); identifiers masked",
                   responses=responses(errors.ValidationNotFound))
async def verify_validation(validation_id: uuid.UUID, uow: Uow) -> ValidationVerification:
    return await service.public_verification(uow, validation_id)


routers = [router, officer_router, land_office_router, public_router]
