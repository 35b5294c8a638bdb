"""Registration endpoints: start, read, resend a code, verify."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from identity.auth import ClientIP, MaybePrincipal, PasswordsDep, RegistriesDep, Settings, UoW
from identity.otp.errors import OTPCooldown, OTPInvalid, OTPRateLimited
from identity.registration import service
from identity.registration.errors import DuplicateRegistration, RegistrationNotFound, RegistryMismatch
from identity.registration.schemas import (
    Application,
    OTPResend,
    OTPStatus,
    Registered,
    RegistrationRead,
    RegistrationVerify,
)

router = APIRouter(tags=["registration"])


@router.post("/v1/registrations", status_code=202, response_model=RegistrationRead,
             summary="Register a resident (NIK), a foreigner (passport) or a company (AHU record, by its PIC)",
             responses={409: DuplicateRegistration.openapi(), 422: RegistryMismatch.openapi(),
                        429: OTPRateLimited.openapi()})
async def create_registration(body: Application, uow: UoW, settings: Settings, passwords: PasswordsDep,
                              registries: RegistriesDep, principal: MaybePrincipal, ip: ClientIP) -> RegistrationRead:
    reg, challenges = await service.start(uow, settings, passwords, registries, body, principal=principal, ip=ip)
    return RegistrationRead(registration_id=reg.id, kind=reg.kind, state=reg.state, expires_at=reg.expires_at,
                            otp=[OTPStatus.of(c) for c in challenges])


@router.get("/v1/registrations/{registration_id}", response_model=RegistrationRead,
            summary="State of a registration and delivery state of each OTP (sent, delivered or failed)",
            responses={404: RegistrationNotFound.openapi()})
async def read_registration(registration_id: uuid.UUID, uow: UoW) -> RegistrationRead:
    reg, challenges = await service.status(uow, registration_id)
    return RegistrationRead(registration_id=reg.id, kind=reg.kind, state=reg.state, expires_at=reg.expires_at,
                            otp=[OTPStatus.of(c) for c in challenges])


@router.post("/v1/registrations/{registration_id}/otp", status_code=202, response_model=OTPStatus,
             summary="Send a new code on one channel (after a failed delivery, or instead)",
             responses={404: RegistrationNotFound.openapi(), 429: OTPCooldown.openapi()})
async def resend_registration_otp(registration_id: uuid.UUID, body: OTPResend, uow: UoW, settings: Settings,
                                  ip: ClientIP) -> OTPStatus:
    return OTPStatus.of(await service.resend(uow, settings, registration_id, body.channel, ip))


@router.post("/v1/registrations/{registration_id}/verify", status_code=201, response_model=Registered,
             summary="Confirm the e-mail and phone codes; creates the taxpayer",
             responses={404: RegistrationNotFound.openapi(), 422: OTPInvalid.openapi(),
                        409: DuplicateRegistration.openapi()})
async def verify_registration(registration_id: uuid.UUID, body: RegistrationVerify, uow: UoW, settings: Settings,
                              ip: ClientIP) -> Registered:
    done = await service.verify(uow, settings, registration_id, email_code=body.email_code,
                                phone_code=body.phone_code, ip=ip)
    tp = done.taxpayer
    return Registered(taxpayer_id=tp.id if tp else None, npwp=tp.npwp if tp else None,
                      nitku=tp.nitku if tp else None, identity_number=done.person.identity_number,
                      account_id=done.account.id if done.account else None)
