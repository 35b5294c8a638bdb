"""HTTP endpoints of the identity service. Each calls one service function."""

from __future__ import annotations

import base64
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Request

from identity import registration, resets, service, sessions
from identity.auth import ClientIP, Issuer, UoW
from identity.errors import (
    DuplicateRegistration,
    InvalidClient,
    InvalidGrant,
    LoginThrottled,
    OTPCooldown,
    OTPInvalid,
    OTPRateLimited,
    RegistrationNotFound,
    RegistryMismatch,
    TaxpayerAlreadyRegistered,
    TaxpayerNotFound,
    UnsupportedGrant,
)
from identity.models import OTPChallenge
from identity.passwords import Passwords
from identity.schemas import (
    Application,
    OTPResend,
    OTPStatus,
    PasswordResetConfirm,
    PasswordResetCreate,
    PasswordResetRead,
    Registered,
    RegistrationRead,
    RegistrationVerify,
    TaxpayerCreate,
    TaxpayerRead,
    TokenResponse,
    mask,
)
from identity.settings import IdentitySettings
from kit.app import state_of
from kit.auth import JWKSCache, Principal, authenticate, verify_access_token
from kit.dependencies import runtime, settings_of

router = APIRouter()


async def optional_principal(request: Request) -> Principal | None:
    if not request.headers.get("authorization"):
        return None
    return await authenticate(request, state_of(request).get(JWKSCache))


Settings = Annotated[IdentitySettings, settings_of(IdentitySettings)]
PasswordsDep = Annotated[Passwords, runtime(Passwords)]
RegistriesDep = Annotated[registration.Registries, runtime(registration.Registries)]
MaybePrincipal = Annotated[Principal | None, Depends(optional_principal)]


def _otp_status(challenges: list[OTPChallenge]) -> list[OTPStatus]:
    return [OTPStatus(challenge_id=c.id, channel=c.channel, destination=mask(c.destination),
                      delivery_state=c.delivery_state, delivery_error=c.delivery_error, expires_at=c.expires_at)
            for c in challenges]


# -- registration ---------------------------------------------------------------------------------------------
@router.post("/v1/registrations", status_code=202, response_model=RegistrationRead, tags=["registration"],
             summary="Register a resident (NIK), a foreigner (passport) or a company (AHU record, by its PIC)",
             responses={409: DuplicateRegistration.openapi(), 422: RegistryMismatch.openapi(),
                        429: OTPRateLimited.openapi()})
async def create_registration(body: Application, uow: UoW, settings: Settings, passwords: PasswordsDep,
                              registries: RegistriesDep, principal: MaybePrincipal, ip: ClientIP) -> RegistrationRead:
    reg, challenges = await registration.start(uow, settings, passwords, registries, body, principal=principal, ip=ip)
    return RegistrationRead(registration_id=reg.id, kind=reg.kind, state=reg.state, expires_at=reg.expires_at,
                            otp=_otp_status(challenges))


@router.get("/v1/registrations/{registration_id}", response_model=RegistrationRead, tags=["registration"],
            summary="State of a registration and delivery state of each OTP (sent, delivered or failed)",
            responses={404: RegistrationNotFound.openapi()})
async def read_registration(registration_id: uuid.UUID, uow: UoW) -> RegistrationRead:
    reg, challenges = await registration.status(uow, registration_id)
    return RegistrationRead(registration_id=reg.id, kind=reg.kind, state=reg.state, expires_at=reg.expires_at,
                            otp=_otp_status(challenges))


@router.post("/v1/registrations/{registration_id}/otp", status_code=202, response_model=OTPStatus,
             tags=["registration"], summary="Send a new code on one channel (after a failed delivery, or instead)",
             responses={404: RegistrationNotFound.openapi(), 429: OTPCooldown.openapi()})
async def resend_registration_otp(registration_id: uuid.UUID, body: OTPResend, uow: UoW, settings: Settings,
                                  ip: ClientIP) -> OTPStatus:
    challenge = await registration.resend(uow, settings, registration_id, body.channel, ip)
    return _otp_status([challenge])[0]


@router.post("/v1/registrations/{registration_id}/verify", status_code=201, response_model=Registered,
             tags=["registration"], summary="Confirm the e-mail and phone codes; creates the taxpayer",
             responses={404: RegistrationNotFound.openapi(), 422: OTPInvalid.openapi(),
                        409: DuplicateRegistration.openapi()})
async def verify_registration(registration_id: uuid.UUID, body: RegistrationVerify, uow: UoW, settings: Settings,
                              ip: ClientIP) -> Registered:
    done = await registration.verify(uow, settings, registration_id, email_code=body.email_code,
                                     phone_code=body.phone_code, ip=ip)
    tp = done.taxpayer
    return Registered(taxpayer_id=tp.id if tp else None, npwp=tp.npwp if tp else None,
                      nitku=tp.nitku if tp else None, identity_number=done.person.identity_number,
                      account_id=done.account.id if done.account else None)


# -- tokens ---------------------------------------------------------------------------------------------------
@router.post("/v1/oauth/token", response_model=TokenResponse, tags=["tokens"],
             summary="OAuth2 token endpoint: password, refresh_token, client_credentials, token exchange",
             responses={400: InvalidGrant.openapi(), 401: InvalidClient.openapi(), 429: LoginThrottled.openapi()})
async def token(
    request: Request, uow: UoW, settings: Settings, passwords: PasswordsDep, issuer: Issuer, ip: ClientIP,
    grant_type: Annotated[str, Form()],
    username: Annotated[str | None, Form()] = None,
    password: Annotated[str | None, Form()] = None,
    refresh_token: Annotated[str | None, Form()] = None,
    client_id: Annotated[str | None, Form()] = None,
    client_secret: Annotated[str | None, Form()] = None,
    subject_token: Annotated[str | None, Form()] = None,
    subject_token_type: Annotated[str | None, Form()] = None,
    resource: Annotated[str | None, Form(description="urn:lontar:taxpayer:<NPWP16> to act for")] = None,
) -> TokenResponse:
    if grant_type == "password" and username and password:
        issued = await sessions.password_grant(uow, settings, passwords, issuer, login=username, password=password,
                                               ip=ip)
    elif grant_type == "refresh_token" and refresh_token:
        issued = await sessions.refresh_grant(uow, settings, issuer, refresh_token=refresh_token, ip=ip)
    elif grant_type == "client_credentials":
        cid, secret = _client_auth(request, client_id, client_secret)
        issued = await sessions.client_credentials_grant(uow, passwords, issuer, client_id=cid, client_secret=secret,
                                                         resource=resource, ip=ip)
    elif grant_type == sessions.TOKEN_EXCHANGE and subject_token and resource:
        if subject_token_type != sessions.ACCESS_TOKEN_TYPE:
            raise InvalidGrant(f"subject_token_type must be {sessions.ACCESS_TOKEN_TYPE}")
        principal = await verify_access_token(subject_token, state_of(request).get(JWKSCache))
        issued = await sessions.exchange_grant(uow, issuer, principal, resource=resource, ip=ip)
        return TokenResponse(access_token=issued.access_token, expires_in=issued.expires_in, scope=issued.scope,
                             issued_token_type=sessions.ACCESS_TOKEN_TYPE)
    else:
        raise UnsupportedGrant(f"grant_type {grant_type!r} with these parameters is not supported")
    return TokenResponse(access_token=issued.access_token, expires_in=issued.expires_in, scope=issued.scope,
                         refresh_token=issued.refresh_token)


def _client_auth(request: Request, client_id: str | None, client_secret: str | None) -> tuple[str, str]:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            cid, _, secret = base64.b64decode(value).decode().partition(":")
            return cid, secret
        except (ValueError, UnicodeDecodeError):
            raise InvalidClient("malformed Basic credentials") from None
    if client_id and client_secret:
        return client_id, client_secret
    raise InvalidClient("client_credentials needs client_id and client_secret")


# -- password reset ---------------------------------------------------------------------------------------------
@router.post("/v1/password-resets", status_code=202, response_model=PasswordResetRead, tags=["password reset"],
             summary="Ask for a reset code; the answer is the same whether or not the login exists",
             responses={429: OTPRateLimited.openapi()})
async def create_password_reset(body: PasswordResetCreate, uow: UoW, settings: Settings,
                                ip: ClientIP) -> PasswordResetRead:
    reset = await resets.start(uow, settings, login=body.login, channel=body.channel, ip=ip)
    return PasswordResetRead(reset_id=reset.id, channel=body.channel, expires_at=reset.expires_at,
                             message="If the login is registered, a code was sent to its registered "
                                     f"{'e-mail address' if body.channel == 'email' else 'phone'}.")


@router.post("/v1/password-resets/{reset_id}/confirm", status_code=204, tags=["password reset"],
             summary="Set a new password with the code; revokes every earlier session",
             responses={422: OTPInvalid.openapi(), 404: resets.ResetNotFound.openapi()})
async def confirm_password_reset(reset_id: uuid.UUID, body: PasswordResetConfirm, uow: UoW, settings: Settings,
                                 passwords: PasswordsDep, ip: ClientIP) -> None:
    await resets.confirm(uow, settings, passwords, reset_id, code=body.code,
                         new_password=body.new_password.get_secret_value(), ip=ip)


# -- minimal internal taxpayer records (officer tooling and tests) ----------------------------------------------
@router.post("/internal/v1/taxpayers", status_code=201, response_model=TaxpayerRead,
             tags=["taxpayers (internal)"], summary="Create a taxpayer record",
             responses={409: TaxpayerAlreadyRegistered.openapi()})
async def create_taxpayer(body: TaxpayerCreate, uow: UoW) -> TaxpayerRead:
    return TaxpayerRead.model_validate(await service.register_taxpayer(uow, body))


@router.get("/internal/v1/taxpayers/{npwp}", response_model=TaxpayerRead, tags=["taxpayers (internal)"],
            summary="Read a taxpayer record", responses={404: TaxpayerNotFound.openapi()})
async def read_taxpayer(npwp: Annotated[str, Path(pattern=r"^\d{16}$")], uow: UoW) -> TaxpayerRead:
    return TaxpayerRead.model_validate(await service.get_taxpayer(uow, npwp))

