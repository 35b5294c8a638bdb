"""Officer endpoints (`identity:officer`): NIK-NPWP matching, PKP decisions, legacy import, PJAP register, audit.
Served under /internal: the public ingress does not route them."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from identity import officer
from identity.auth import ClientIP, UoW
from identity.auth import officer as officer_scope
from identity.endpoints import PasswordsDep, RegistriesDep
from identity.errors import RegistryMismatch, TaxpayerNotFound
from identity.taxpayer_endpoints import PKPPeriodRead, ProfileRead
from kit.auth import Principal
from kit.pagination import Pagination

router = APIRouter(prefix="/internal/v1", tags=["officer (internal)"])
Officer = Annotated[Principal, officer_scope()]
NPWP = Annotated[str, Path(pattern=r"^\d{16}$")]


class NIKMatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    nik: str


@router.post("/taxpayers/{npwp}/nik-matching", response_model=ProfileRead,
             responses={404: TaxpayerNotFound.openapi(), 409: officer.NotMatchable.openapi(),
                        422: RegistryMismatch.openapi()},
             summary="Convert a resident's NPWP15-based NPWP to the NIK, keeping history")
async def match_nik(npwp: NPWP, body: NIKMatch, registries: RegistriesDep, who: Officer, uow: UoW,
                    ip: ClientIP) -> ProfileRead:
    taxpayer = await officer.match_nik(uow, registries.population, who, npwp, body.nik, ip)
    return ProfileRead.model_validate(taxpayer)


class PKPDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    is_pkp: bool
    effective_date: date


@router.post("/taxpayers/{npwp}/pkp-status", response_model=list[PKPPeriodRead],
             responses={404: TaxpayerNotFound.openapi()}, summary="Record a PKP decision (publishes PKPStatusChanged)")
async def decide_pkp(npwp: NPWP, body: PKPDecision, who: Officer, uow: UoW, ip: ClientIP) -> list[PKPPeriodRead]:
    periods = await officer.decide_pkp(uow, who, npwp, is_pkp=body.is_pkp, effective_date=body.effective_date, ip=ip)
    return [PKPPeriodRead.model_validate(p) for p in periods]


class ImportReportRead(BaseModel):
    rows: int
    created: int
    updated: int
    unchanged: int
    conflicts: list[dict[str, Any]]
    errors: list[dict[str, Any]]


@router.post("/legacy-imports", response_model=ImportReportRead,
             summary="Import taxpayers from a legacy CSV export; returns the reconciliation report",
             openapi_extra={"requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}}})
async def import_legacy(request: Request, who: Officer, uow: UoW, ip: ClientIP) -> ImportReportRead:
    raw = await request.body()
    report = await officer.import_legacy(uow, who, raw.decode("utf-8-sig", errors="replace"), ip)
    return ImportReportRead(**report.__dict__)


class ClientCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=2, max_length=200)
    scopes: list[str] = Field(min_length=1)
    kind: Literal["pjap", "internal", "officer"] = "pjap"
    rate_limit_per_minute: int = Field(default=600, ge=1, le=100_000)


class ClientCreated(BaseModel):
    client_id: str
    client_secret: str = Field(description="shown once; stored only as a hash")
    name: str
    scopes: str
    kind: str
    rate_limit_per_minute: int


@router.post("/clients", status_code=201, response_model=ClientCreated, summary="Register a PJAP or service client")
async def register_client(body: ClientCreate, who: Officer, uow: UoW, passwords: PasswordsDep,
                          ip: ClientIP) -> ClientCreated:
    client, secret = await officer.register_client(uow, passwords, who, name=body.name, scopes=body.scopes,
                                                   kind=body.kind, rate_limit_per_minute=body.rate_limit_per_minute,
                                                   ip=ip)
    return ClientCreated(client_id=client.client_id, client_secret=secret, name=client.name, scopes=client.scopes,
                         kind=client.kind, rate_limit_per_minute=client.rate_limit_per_minute)


class AuditEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    at: datetime
    action: str
    outcome: str
    actor_id: str | None
    acting_for: str | None
    ip: str | None
    details: dict[str, Any]


class AuditPage(BaseModel):
    items: list[AuditEventRead]
    next_cursor: str | None


@router.get("/audit-events", response_model=AuditPage, summary="The audit log, newest first")
async def audit_events(who: Officer, uow: UoW, page: Pagination, actor: str | None = Query(None),
                       action: str | None = Query(None), acting_for: str | None = Query(None)) -> AuditPage:
    rows, cursor = await officer.audit_events(uow, page, actor=actor, action=action, acting_for=acting_for)
    return AuditPage(items=[AuditEventRead.model_validate(r) for r in rows], next_cursor=cursor)


