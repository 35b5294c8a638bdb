"""The OAuth2 token endpoint, the JWKS, and password reset."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request

from identity.auth import ClientIP, Issuer, PasswordsDep, Settings, UoW
from identity.otp.errors import OTPInvalid, OTPRateLimited
from identity.passwords import LoginOverloaded, Passwords
from identity.roles import FULL, PERSON_SCOPES
from identity.sessions import service
from identity.sessions.errors import (
    ClientNotDelegated,
    InvalidClient,
    InvalidGrant,
    InvalidRequest,
    InvalidScope,
    LoginThrottled,
    ResetNotFound,
    UnsupportedGrant,
)
from identity.sessions.oauth import OAuthRoute
from identity.sessions.oauth import responses as oauth_responses
from identity.sessions.rules import ACCESS_TOKEN_TYPE, TOKEN_EXCHANGE
from identity.sessions.schemas import PasswordResetConfirm, PasswordResetCreate, PasswordResetRead, TokenResponse
from identity.settings import IdentitySettings
from identity.tokens import TokenIssuer
from kit.app import state_of
from kit.auth import JWKSCache, verify_access_token
from kit.clientip import client_ip
from kit.db import UnitOfWork
from kit.errors import RateLimited
from kit.text import secret_text, text

router = APIRouter()
token_router = APIRouter(route_class=OAuthRoute)  # RFC 6749 error answers and no-store (identity.sessions.oauth)
GRANT_TYPES = ("password", "refresh_token", "client_credentials", TOKEN_EXCHANGE)


@dataclass(frozen=True)
class TokenContext:
    uow: UnitOfWork
    settings: IdentitySettings
    passwords: Passwords
    issuer: TokenIssuer
    ip: str


async def token_context(request: Request) -> TokenContext:
    """What the token endpoint needs (the same as UoW, Settings, PasswordsDep, Issuer and ClientIP), as one coroutine:
    one dependency instead of five on the hot path of a surge."""
    state = state_of(request)
    settings = state.settings
    if not isinstance(settings, IdentitySettings):
        raise TypeError(f"this process runs with {type(settings).__name__}, not IdentitySettings")
    return TokenContext(UnitOfWork(state.sessions), settings, state.get(Passwords), state.get(TokenIssuer),
                        await client_ip(request))


@token_router.post(
    "/v1/oauth/token", response_model=TokenResponse, response_model_exclude_none=True, tags=["tokens"],
    summary="OAuth2 token endpoint: password, refresh_token, client_credentials, token exchange",
    description="Errors are problem+json with the RFC 6749 §5.2 members `error` and `error_description` beside "
                "`code`; `invalid_client` is 401 with `WWW-Authenticate: Basic`; 503 `login.overloaded` and 429 "
                "carry `Retry-After`. Every answer is `Cache-Control: no-store`.",
    responses=oauth_responses(InvalidGrant, InvalidRequest, UnsupportedGrant, InvalidScope, InvalidClient,
                              ClientNotDelegated, LoginThrottled, RateLimited, LoginOverloaded))
async def token(
    request: Request, context: Annotated[TokenContext, Depends(token_context)],
    grant_type: Annotated[text(100), Form()],
    username: Annotated[text(100) | None, Form()] = None,
    password: Annotated[secret_text(256) | None, Form()] = None,
    refresh_token: Annotated[text(200) | None, Form()] = None,
    client_id: Annotated[text(100) | None, Form()] = None,
    client_secret: Annotated[secret_text(256) | None, Form()] = None,
    subject_token: Annotated[text(16384) | None, Form()] = None,
    subject_token_type: Annotated[text(100) | None, Form()] = None,
    resource: Annotated[text(200) | None, Form(description="urn:lontar:taxpayer:<NPWP16> to act for")] = None,
    scope: Annotated[text(1000) | None, Form(description="client_credentials and token exchange: a narrower set "
                                                         "of the scopes allowed (RFC 6749 §3.3)")] = None,
) -> TokenResponse:
    if grant_type not in GRANT_TYPES:
        raise UnsupportedGrant(f"grant_type {grant_type!r} is not supported")
    uow, settings, passwords, issuer, ip = (context.uow, context.settings, context.passwords, context.issuer,
                                            context.ip)
    if grant_type == "password":
        _require(username=username, password=password)
        assert username and password
        issued = await service.password_grant(uow, settings, passwords, issuer, login=username, password=password,
                                              ip=ip)
    elif grant_type == "refresh_token":
        _require(refresh_token=refresh_token)
        assert refresh_token
        issued = await service.refresh_grant(uow, settings, issuer, refresh_token=refresh_token, ip=ip)
    elif grant_type == "client_credentials":
        cid, secret = _client_auth(request, client_id, client_secret)
        issued = await service.client_credentials_grant(uow, passwords, issuer, client_id=cid, client_secret=secret,
                                                        resource=resource, ip=ip, scope=scope)
    else:
        _require(subject_token=subject_token, subject_token_type=subject_token_type, resource=resource)
        assert subject_token and resource
        if subject_token_type != ACCESS_TOKEN_TYPE:
            raise InvalidRequest(f"subject_token_type must be {ACCESS_TOKEN_TYPE}")
        principal = await verify_access_token(subject_token, state_of(request).get(JWKSCache))
        issued = await service.exchange_grant(uow, issuer, principal, resource=resource, ip=ip, scope=scope)
        return TokenResponse(access_token=issued.access_token, expires_in=issued.expires_in, scope=issued.scope,
                             issued_token_type=ACCESS_TOKEN_TYPE)
    return TokenResponse(access_token=issued.access_token, expires_in=issued.expires_in, scope=issued.scope,
                         refresh_token=issued.refresh_token)


def _require(**parameters: str | None) -> None:
    missing = [name for name, value in parameters.items() if not value]
    if missing:
        raise InvalidRequest(f"this grant needs {', '.join(missing)}")


def _client_auth(request: Request, client_id: str | None, client_secret: str | None) -> tuple[str, str]:
    """Client credentials from HTTP Basic, else from the form. Ids and secrets are URL-safe, so the form-encoding
    RFC 6749 §2.3.1 asks for inside Basic changes nothing: clients that skip it (most) work too."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            cid, colon, secret = base64.b64decode(value, validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            raise InvalidClient("malformed Basic credentials") from None
        if not colon or not 0 < len(cid) <= 100 or len(secret) > 256 or "\x00" in cid + secret:
            raise InvalidClient("malformed Basic credentials")
        return cid, secret
    if client_id and client_secret:
        return client_id, client_secret
    raise InvalidClient("client_credentials needs client authentication (HTTP Basic, or client_id and "
                        "client_secret in the form)")


@router.get("/.well-known/oauth-authorization-server", tags=["tokens"],
            summary="OAuth 2.0 authorization server metadata (RFC 8414)")
async def metadata(request: Request, settings: Settings) -> dict[str, Any]:
    base = (settings.tokens.public_url or str(request.base_url)).rstrip("/")
    return {
        "issuer": settings.auth.issuer,  # the `iss` of every token (RFC 9068 §2.2)
        "token_endpoint": f"{base}/v1/oauth/token",
        "jwks_uri": f"{base}/.well-known/jwks.json",
        "grant_types_supported": list(GRANT_TYPES),
        # client_secret_basic/_post: machine clients; none: people's password and refresh grants (public clients)
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "response_types_supported": [],  # no authorization endpoint
        "scopes_supported": sorted({*PERSON_SCOPES, *FULL}),
        "service_documentation": f"{base}/docs",
    }


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


routers = [token_router, router]
