"""Officer endpoints (`identity:officer`): NIK-NPWP matching, PKP decisions, legacy import. Served under /internal:
the public ingress does not route them."""

from __future__ import annotations

from fastapi import APIRouter, Request

from identity.auth import NPWP, ClientIP, Officer, RegistriesDep, UoW
from identity.officer import service
from identity.officer.errors import NotMatchable
from identity.officer.schemas import ImportReportRead, NIKMatch, PKPDecision
from identity.registration.errors import RegistryMismatch
from identity.taxpayers.errors import TaxpayerNotFound
from identity.taxpayers.schemas import PKPPeriodRead, ProfileRead
from kit.app import body_limit

router = APIRouter(prefix="/internal/v1", tags=["officer (internal)"])
LEGACY_CSV_MAX_BYTES = 64 * 1024 * 1024  # a legacy export of ~300,000 taxpayers


@router.post("/taxpayers/{npwp}/nik-matching", response_model=ProfileRead,
             responses={404: TaxpayerNotFound.openapi(), 409: NotMatchable.openapi(),
                        422: RegistryMismatch.openapi()},
             summary="Convert a resident's NPWP15-based NPWP to the NIK, keeping history")
async def match_nik(npwp: NPWP, body: NIKMatch, registries: RegistriesDep, who: Officer, uow: UoW,
                    ip: ClientIP) -> ProfileRead:
    taxpayer = await service.match_nik(uow, registries.population, who, npwp, body.nik, ip)
    return ProfileRead.model_validate(taxpayer)


@router.post("/taxpayers/{npwp}/pkp-status", response_model=list[PKPPeriodRead],
             responses={404: TaxpayerNotFound.openapi()},
             summary="Record a PKP decision (publishes PKPStatusChanged)",
             description="The status holds from `effective_date` on, over earlier decisions, later-dated ones included "
                         "(each later date whose status differs is restated: one more period and PKPStatusChanged), "
                         "the registration's own period included (an ex officio decision may be dated back). Answers "
                         "every period in the order recorded, this decision's last.")
async def decide_pkp(npwp: NPWP, body: PKPDecision, who: Officer, uow: UoW, ip: ClientIP) -> list[PKPPeriodRead]:
    periods = await service.decide_pkp(uow, who, npwp, is_pkp=body.is_pkp, effective_date=body.effective_date, ip=ip)
    return [PKPPeriodRead.model_validate(p) for p in periods]


@router.post("/legacy-imports", response_model=ImportReportRead,
             summary="Import taxpayers from a legacy CSV export; returns the reconciliation report",
             description="Columns: npwp15, name, is_pkp, email (required), kind, pkp_since, phone, address, "
                         "registered_on (YYYY-MM-DD: the legacy registration day, kept as 00:00 WIB; absent: now). "
                         "A row for a taxpayer already here (by NPWP, or by NPWP15 after NIK matching) that differs "
                         "in name, e-mail, PKP status or a given registered_on is a conflict, not applied; a row "
                         "that cannot be read is an error with its `code` (`legacy_import.*`).",
             openapi_extra={"requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}}})
@body_limit(LEGACY_CSV_MAX_BYTES)
async def import_legacy(request: Request, who: Officer, uow: UoW, ip: ClientIP) -> ImportReportRead:
    raw = await request.body()
    report = await service.import_legacy(uow, who, raw.decode("utf-8-sig", errors="replace"), ip)
    return ImportReportRead(**report.__dict__)
