"""Signing-credential routes: the person's own (`/v1/signing-credentials`, their bearer token: credentials and their
signing sessions) and the internal signing call (`/internal/v1/signatures`, an internal service's client-credentials
token with `identity:sign`)."""

from __future__ import annotations

import base64
import uuid
from typing import Annotated

from fastapi import APIRouter, Response
from fastapi import Path as PathParam

from identity.auth import ClientIP, UoW, internal_service
from identity.credentials import service
from identity.credentials.errors import (
    BatchTooLarge,
    CredentialExpired,
    CredentialLocked,
    CredentialNotFound,
    CredentialRevoked,
    DigestInvalid,
    FaceCheckFailed,
    FaceCheckUnavailable,
    NotEligible,
    PassphraseOrSession,
    PassphraseRejected,
    PersonalTokenRequired,
    PersonChanged,
    SessionClosed,
    SessionDeviceMismatch,
    SessionExhausted,
    SessionExpired,
    SessionInvalid,
    SessionNotFound,
    SessionTermsRejected,
    WrongPassphrase,
)
from identity.credentials.runtime import CredentialsRuntime
from identity.credentials.schemas import (
    SignatureBatch,
    SignatureRequest,
    SigningCredentialCreate,
    SigningCredentialList,
    SigningCredentialRead,
    SigningSessionCreate,
    SigningSessionOpened,
)
from kit.auth import CurrentPrincipal, Principal
from kit.dependencies import runtime
from kit.errors import AppError

Runtime = Annotated[CredentialsRuntime, runtime(CredentialsRuntime)]
Signer = Annotated[Principal, internal_service("identity:sign")]


def _responses(*errors: type[AppError]) -> dict[int | str, dict[str, object]]:
    out: dict[int | str, dict[str, object]] = {}
    for error in errors:
        if error.status in out:
            out[error.status]["description"] = f"{out[error.status]['description']}; {error.title} (`{error.code}`)"
        else:
            out[error.status] = error.openapi()
    return out


router = APIRouter(prefix="/v1/signing-credentials", tags=["signing credentials"])


@router.post("", status_code=201, response_model=SigningCredentialRead,
             summary="Request a Kode Otorisasi or an electronic certificate in your own name",
             responses=_responses(PassphraseRejected, FaceCheckFailed, FaceCheckUnavailable, NotEligible,
                                  PersonalTokenRequired, PersonChanged))
async def request_credential(body: SigningCredentialCreate, principal: CurrentPrincipal, uow: UoW,
                             runtime: Runtime, ip: ClientIP) -> SigningCredentialRead:
    return SigningCredentialRead.of(await service.issue_credential(uow, runtime, principal, body=body, ip=ip))


@router.get("", response_model=SigningCredentialList, summary="Your signing credentials, newest first")
async def list_credentials(principal: CurrentPrincipal, uow: UoW) -> SigningCredentialList:
    return SigningCredentialList(items=[SigningCredentialRead.of(c)
                                        for c in await service.list_credentials(uow, principal)])


@router.post("/{credential_id}/revoke", response_model=SigningCredentialRead, summary="Revoke one of your credentials",
             responses=_responses(CredentialNotFound))
async def revoke_credential(credential_id: Annotated[uuid.UUID, PathParam()], principal: CurrentPrincipal, uow: UoW,
                            ip: ClientIP) -> SigningCredentialRead:
    return SigningCredentialRead.of(await service.revoke_credential(uow, principal, credential_id=credential_id,
                                                                    ip=ip))


@router.post("/{credential_id}/sessions", status_code=201, response_model=SigningSessionOpened,
             summary="Open a signing session: one passphrase check, then sign without it for a while",
             description="The session is bound to the login session of this token (its `sid`, else the token "
                         "itself) and lasts `ttl_s` or until `max_signatures` are made, it is closed, or the "
                         "credential is revoked or locked. A wrong passphrase counts toward the lockout as when "
                         "signing. `session_secret` is shown once and never stored.",
             responses=_responses(CredentialNotFound, CredentialRevoked, CredentialExpired, CredentialLocked,
                                  WrongPassphrase, SessionTermsRejected, PersonalTokenRequired))
async def open_signing_session(credential_id: Annotated[uuid.UUID, PathParam()], body: SigningSessionCreate,
                               principal: CurrentPrincipal, uow: UoW, runtime: Runtime, ip: ClientIP,
                               response: Response) -> SigningSessionOpened:
    opened = await service.open_session(uow, runtime, principal, credential_id=credential_id, body=body, ip=ip)
    response.headers["cache-control"] = "no-store"
    row = opened.signing_session
    return SigningSessionOpened(session_id=row.id, credential_id=row.credential_id, session_secret=opened.secret,
                                expires_at=row.expires_at, max_signatures=row.max_signatures)


@router.delete("/{credential_id}/sessions/{session_id}", status_code=204,
               summary="Close one of your signing sessions (its key is erased)",
               responses=_responses(SessionNotFound, PersonalTokenRequired))
async def close_signing_session(credential_id: Annotated[uuid.UUID, PathParam()],
                                session_id: Annotated[uuid.UUID, PathParam()], principal: CurrentPrincipal, uow: UoW,
                                ip: ClientIP) -> Response:
    await service.close_session(uow, principal, credential_id=credential_id, session_id=session_id, ip=ip)
    return Response(status_code=204)


internal_router = APIRouter(prefix="/internal/v1/signatures", tags=["signatures (internal)"])


@internal_router.post("", response_model=SignatureBatch,
                      summary="Sign a batch of SHA-256 digests with a person's credential and passphrase, or in "
                              "a signing session they opened",
                      responses=_responses(CredentialNotFound, CredentialRevoked, CredentialExpired, CredentialLocked,
                                           WrongPassphrase, DigestInvalid, BatchTooLarge, PassphraseOrSession,
                                           SessionInvalid, SessionDeviceMismatch, SessionExpired, SessionClosed,
                                           SessionExhausted))
async def create_signatures(body: SignatureRequest, principal: Signer, uow: UoW, runtime: Runtime,
                            ip: ClientIP) -> SignatureBatch:
    batch = await service.sign_digests(uow, runtime, principal, body=body, ip=ip)
    b64 = base64.b64encode
    return SignatureBatch(credential_id=batch.credential.id, certificate_serial=batch.credential.serial_number,
                          certificate_pem=batch.credential.certificate_pem,
                          signatures=[b64(s).decode() for s in batch.signatures])


routers = [router, internal_router]
