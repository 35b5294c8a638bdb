"""Signing-credential routes: the person's own (`/v1/signing-credentials`, their bearer token) and the internal
signing call (`/internal/v1/signatures`, an internal service's client-credentials token with `identity:sign`)."""

from __future__ import annotations

import base64
import uuid
from typing import Annotated

from fastapi import APIRouter
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
    PassphraseRejected,
    PersonalTokenRequired,
    PersonChanged,
    WrongPassphrase,
)
from identity.credentials.runtime import CredentialsRuntime
from identity.credentials.schemas import (
    SignatureBatch,
    SignatureRequest,
    SigningCredentialCreate,
    SigningCredentialList,
    SigningCredentialRead,
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


internal_router = APIRouter(prefix="/internal/v1/signatures", tags=["signatures (internal)"])


@internal_router.post("", response_model=SignatureBatch,
                      summary="Sign a batch of SHA-256 digests with a person's credential and passphrase",
                      responses=_responses(CredentialNotFound, CredentialRevoked, CredentialExpired, CredentialLocked,
                                           WrongPassphrase, DigestInvalid, BatchTooLarge))
async def create_signatures(body: SignatureRequest, principal: Signer, uow: UoW, runtime: Runtime,
                            ip: ClientIP) -> SignatureBatch:
    batch = await service.sign_digests(uow, runtime, principal, body=body, ip=ip)
    b64 = base64.b64encode
    return SignatureBatch(credential_id=batch.credential.id, certificate_serial=batch.credential.serial_number,
                          certificate_pem=batch.credential.certificate_pem,
                          signatures=[b64(s).decode() for s in batch.signatures])


routers = [router, internal_router]
