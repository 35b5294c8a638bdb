"""The OAuth2 token endpoint, the JWKS, and password reset."""

from __future__ import annotations

import base64
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request

from identity.auth import ClientIP, Issuer, PasswordsDep, Settings, UoW
from identity.otp.errors import OTPInvalid, OTPRateLimited
from identity.sessions import service
from identity.sessions.errors import InvalidClient, InvalidGrant, LoginThrottled, ResetNotFound, UnsupportedGrant
from identity.sessions.rules import ACCESS_TOKEN_TYPE, TOKEN_EXCHANGE
from identity.sessions.schemas import PasswordResetConfirm, PasswordResetCreate, PasswordResetRead, TokenResponse
from kit.app import state_of
from kit.auth import JWKSCache, verify_access_token
from kit.text import secret_text, text

router = APIRouter()


@router.post("/v1/oauth/token", response_model=TokenResponse, tags=["tokens"],
             summary="OAuth2 token endpoint: password, refresh_token, client_credentials, token exchange",
             responses={400: InvalidGrant.openapi(), 401: InvalidClient.openapi(), 429: LoginThrottled.openapi()})
async def token(
    request: Request, uow: UoW, settings: Settings, passwords: PasswordsDep, issuer: Issuer, ip: ClientIP,
    grant_type: Annotated[text(100), Form()],
    username: Annotated[text(100) | None, Form()] = None,
    password: Annotated[secret_text(256) | None, Form()] = None,
    refresh_token: Annotated[text(200) | None, Form()] = None,
    client_id: Annotated[text(100) | None, Form()] = None,
    client_secret: Annotated[secret_text(256) | None, Form()] = None,
    subject_token: Annotated[text(16384) | None, Form()] = None,
    subject_token_type: Annotated[text(100) | None, Form()] = None,
    resource: Annotated[text(200) | None, Form(description="urn:lontar:taxpayer:<NPWP16> to act for")] = None,
) -> TokenResponse:
    if grant_type == "password" and username and password:
        issued = await service.password_grant(uow, settings, passwords, issuer, login=username, password=password,
                                              ip=ip)
    elif grant_type == "refresh_token" and refresh_token:
        issued = await service.refresh_grant(uow, settings, issuer, refresh_token=refresh_token, ip=ip)
    elif grant_type == "client_credentials":
        cid, secret = _client_auth(request, client_id, client_secret)
        issued = await service.client_credentials_grant(uow, passwords, issuer, client_id=cid, client_secret=secret,
                                                        resource=resource, ip=ip)
    elif grant_type == TOKEN_EXCHANGE and subject_token and resource:
        if subject_token_type != ACCESS_TOKEN_TYPE:
            raise InvalidGrant(f"subject_token_type must be {ACCESS_TOKEN_TYPE}")
        principal = await verify_access_token(subject_token, state_of(request).get(JWKSCache))
        issued = await service.exchange_grant(uow, issuer, principal, resource=resource, ip=ip)
        return TokenResponse(access_token=issued.access_token, expires_in=issued.expires_in, scope=issued.scope,
                             issued_token_type=ACCESS_TOKEN_TYPE)
    else:
        raise UnsupportedGrant(f"grant_type {grant_type!r} with these parameters is not supported")
    return TokenResponse(access_token=issued.access_token, expires_in=issued.expires_in, scope=issued.scope,
                         refresh_token=issued.refresh_token)


def _client_auth(request: Request, client_id: str | None, client_secret: str | None) -> tuple[str, str]:
    """Client credentials from HTTP Basic, else from the form."""
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


@router.get("/.well-known/jwks.json", tags=["tokens"], summary="Public keys that verify identity's access tokens")
async def jwks(issuer: Issuer) -> dict[str, Any]:
    return issuer.jwks()


@router.post("/v1/password-resets", status_code=202, response_model=PasswordResetRead, tags=["password reset"],
             summary="Ask for a reset code; the answer is the same whether or not the login exists",
             responses={429: OTPRateLimited.openapi()})
async def create_password_reset(body: PasswordResetCreate, uow: UoW, settings: Settings,
                                ip: ClientIP) -> PasswordResetRead:
    reset = await service.start_reset(uow, settings, login=body.login, channel=body.channel, ip=ip)
    return PasswordResetRead(reset_id=reset.id, channel=body.channel, expires_at=reset.expires_at,
                             message="If the login is registered, a code was sent to its registered "
                                     f"{'e-mail address' if body.channel == 'email' else 'phone'}.")


@router.post("/v1/password-resets/{reset_id}/confirm", status_code=204, tags=["password reset"],
             summary="Set a new password with the code; revokes every earlier session",
             responses={422: OTPInvalid.openapi(), 404: ResetNotFound.openapi()})
async def confirm_password_reset(reset_id: uuid.UUID, body: PasswordResetConfirm, uow: UoW, settings: Settings,
                                 passwords: PasswordsDep, ip: ClientIP) -> None:
    await service.confirm_reset(uow, settings, passwords, reset_id, code=body.code,
                                new_password=body.new_password.get_secret_value(), ip=ip)
