"""Routes of the KSWP slice: a requesting agency's request and its answer, the letter PDF, and the public
verification of a letter by its code."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import Response

from filing.calendar.errors import CalendarYearUnknown
from filing.kswp import service
from filing.kswp.errors import AgencyRequired, KswpNotFound
from filing.kswp.schemas import KswpCreate, KswpKeysRead, KswpRead, KswpVerificationRead
from filing.responses import responses
from filing.settings import FilingSettings
from kit.auth import CurrentPrincipal, MissingScope
from kit.clock import Clock
from kit.dependencies import Uow, runtime, settings_of
from kit.errors import Unauthorized
from kit.idempotency import Idempotency, IdempotencyInProgress, IdempotencyKeyReused, idempotent

router = APIRouter(prefix="/v1/kswp", tags=["kswp"])

Settings = Annotated[FilingSettings, settings_of(FilingSettings)]
Today = Annotated[Clock, runtime(Clock)]
Idempotent = Annotated[Idempotency, idempotent()]
_AUTH = (Unauthorized, AgencyRequired, MissingScope)


@router.post("", response_model=KswpRead, status_code=201,
             summary="Confirm a taxpayer's status for a requesting agency (KSWP, tax-rules §7.1)",
             description="Valid only when the NPWP is active, the name matches and the SPT Tahunan of the last 2 "
                         "tax years (whose deadline has passed) is filed; `customs` also needs the last 3 SPT Masa "
                         "PPN. One stored snapshot per request: this answer, `GET` of it and the letter are "
                         "rendered from it and never recomputed. Publishes `KSWPIssued`. A requesting agency's "
                         "machine client with `filing:kswp`; `Idempotency-Key` honoured.",
             responses=responses(*_AUTH, CalendarYearUnknown, IdempotencyInProgress, IdempotencyKeyReused))
async def request_kswp(body: KswpCreate, principal: CurrentPrincipal, uow: Uow, clock: Today, settings: Settings,
                       idem: Idempotent) -> KswpRead:
    return await idem.run(201, lambda: service.request_kswp(  # type: ignore[return-value]
        uow, principal, clock, body, public_url=settings.public_url, keys=settings.kswp))


# before `/{kswp_id}`, which would take "keys" for an id
@router.get("/keys", response_model=KswpKeysRead,
            summary="Public: the keys KSWP letters are signed with (a JWKS), to verify a letter's signature offline",
            description="EC P-256 public keys as JWK (RFC 7517), `kid` = the RFC 7638 thumbprint a letter names as "
                        "`signing_key_id`; the key signing new letters first, then keys kept after a rotation. A "
                        "signature is ECDSA P-256 with SHA-256 over the letter's canonical snapshot, DER, base64.")
async def kswp_keys(settings: Settings) -> KswpKeysRead:
    return service.public_keys(settings.kswp)


@router.get("/{kswp_id}", response_model=KswpRead, summary="A KSWP answer, from its stored snapshot",
            responses=responses(*_AUTH, KswpNotFound))
async def get_kswp(kswp_id: uuid.UUID, principal: CurrentPrincipal, uow: Uow, settings: Settings) -> KswpRead:
    return await service.get_kswp(uow, principal, kswp_id, public_url=settings.public_url)


@router.get("/{kswp_id}/letter", response_class=Response,
            summary="The KSWP letter as a PDF (from the same stored snapshot), with a QR code to its verification",
            responses={200: {"content": {"application/pdf": {}}}, **responses(*_AUTH, KswpNotFound)})
async def get_kswp_letter(kswp_id: uuid.UUID, principal: CurrentPrincipal, uow: Uow, settings: Settings) -> Response:
    number, content = await service.kswp_letter(uow, principal, kswp_id, public_url=settings.public_url)
    return Response(content, media_type="application/pdf",
                    headers={"content-disposition": f'inline; filename="{number}.pdf"'})


@router.get("/verification/{code}", response_model=KswpVerificationRead,
            summary="Public: verify a KSWP letter by its code (no token)",
            description="`valid` only when the stored snapshot still hashes to the letter's digest and the "
                        "signature printed on the letter verifies with the published key it names (`public_key`, "
                        "also at `GET /v1/kswp/keys`).",
            responses=responses(KswpNotFound))
async def verify_kswp(code: Annotated[str, Path(pattern=r"^[0-9A-Z]{20}$")], uow: Uow,
                      settings: Settings) -> KswpVerificationRead:
    return await service.verify(uow, code, keys=settings.kswp)
