"""Officer use cases: NIK-NPWP matching, PKP decisions, the legacy import. Each commits its own transaction."""

from __future__ import annotations

from datetime import date, datetime

from identity.audit.service import record
from identity.models import NPWPChange, PKPStatusPeriod, Taxpayer
from identity.names import same_name
from identity.numbers import parse_nik
from identity.officer import legacy
from identity.officer.errors import NotMatchable
from identity.officer.repository import OfficerRepository
from identity.registration.errors import RegistryMismatch
from identity.registration.registries import PopulationRegistry
from identity.taxpayers.errors import TaxpayerNotFound
from identity.taxpayers.service import NewTaxpayer, create_taxpayer, record_update, set_pkp_status
from kit.auth import Principal
from kit.clock import JAKARTA
from kit.db import UnitOfWork
from kit.identifiers import head_office_nitku


async def match_nik(uow: UnitOfWork, registry: PopulationRegistry, officer: Principal, npwp: str, nik: str,
                    ip: str) -> Taxpayer:
    """Seed item 14: convert a resident individual's NPWP15-based NPWP16 to the NIK, keeping history; the person
    can then log in with the NIK."""
    parsed = parse_nik(nik)
    async with uow:
        s = uow.session
        repo = OfficerRepository(s)
        taxpayer = await repo.taxpayer_for_update(npwp)
        if taxpayer is None:
            raise TaxpayerNotFound()
        if taxpayer.kind != "individual" or not taxpayer.npwp.startswith("0"):
            raise NotMatchable("only an individual with a legacy (0-prefixed) NPWP is matched to a NIK")
        resident = await registry.resident(parsed.value)
        if resident is None or not same_name(resident.full_name, taxpayer.name):
            raise RegistryMismatch("the NIK does not belong to this taxpayer in the population registry")
        if await repo.npwp_in_use(parsed.value):
            raise NotMatchable("this NIK is already the NPWP of another taxpayer")
        old = taxpayer.npwp
        taxpayer.npwp, taxpayer.nitku = parsed.value, head_office_nitku(parsed.value)
        if taxpayer.person_id is not None:
            person = await repo.person(taxpayer.person_id)
            assert person is not None
            person.nik, person.kind = parsed.value, "resident"
        repo.add_npwp_change(NPWPChange(taxpayer_id=taxpayer.id, old_npwp=old, new_npwp=parsed.value,
                                        reason="nik_matching", changed_by=officer.subject))
        await record_update(s, taxpayer, ["npwp", "nitku"], previous_npwp=old)
        await record(s, "nik_matched", actor=officer.subject, acting_for=parsed.value, ip=ip,
                     details={"old_npwp": old})
        await uow.commit()
        return taxpayer


async def decide_pkp(uow: UnitOfWork, officer: Principal, npwp: str, *, is_pkp: bool, effective_date: date,
                     ip: str) -> list[PKPStatusPeriod]:
    """An officer's PKP decision from a date on: it wins over earlier decisions from that date on, later-dated ones
    included, the registration's own period too. Returns the taxpayer's periods
    in the order they were recorded, this decision's own last."""
    async with uow:
        s = uow.session
        repo = OfficerRepository(s)
        taxpayer = await repo.taxpayer_for_update(npwp)
        if taxpayer is None:
            raise TaxpayerNotFound()
        changes = await set_pkp_status(s, taxpayer, is_pkp=is_pkp, effective_date=effective_date, source="officer")
        await record(s, "pkp_status_decided", actor=officer.subject, acting_for=npwp, ip=ip,
                     details={"is_pkp": is_pkp, "effective_date": effective_date.isoformat(),
                              "changed": bool(changes), "restated": [day.isoformat() for day, _ in changes[:-1]]})
        await uow.commit()
        return await repo.pkp_periods_as_recorded(taxpayer.id)


async def import_legacy(uow: UnitOfWork, officer: Principal, csv_text: str, ip: str) -> legacy.ImportReport:
    """Bulk import from the legacy system (one CSV with legacy.LEGACY_COLUMNS). A row that disagrees with what is
    already here (found by its NPWP, or by its NPWP15 once NIK matching moved the NPWP) is reported as a conflict
    and not applied: the reconciliation report says what an officer must decide. All or nothing per file for the
    rows that apply."""
    report = legacy.ImportReport()
    rows = list(legacy.read(csv_text, today=datetime.now(JAKARTA).date()))
    async with uow:
        s = uow.session
        repo = OfficerRepository(s)
        for row in rows:
            report.rows += 1
            if isinstance(row, legacy.RowError):
                report.errors.append({"line": row.line, "npwp15": row.npwp15, "code": row.code, "error": row.error})
                continue
            existing = await repo.legacy_taxpayer_for_update(row.npwp, row.npwp15)
            if existing is None:
                await create_taxpayer(s, NewTaxpayer(
                    npwp=row.npwp, name=row.name, kind=row.kind, legacy_npwp15=row.npwp15, email=row.email,
                    phone=row.phone, address=row.address, is_pkp=row.is_pkp, pkp_since=row.pkp_since,
                    registered_on=row.registered_on), source="legacy_import")
                report.created += 1
            elif differences := legacy.differences(existing, row):
                report.conflicts.append({"line": row.line, "npwp": existing.npwp, "npwp15": row.npwp15,
                                         "differences": differences})
            elif existing.email is None and row.email:
                existing.email = row.email
                await record_update(s, existing, ["email"])
                report.updated += 1
            else:
                report.unchanged += 1
        await record(s, "legacy_import", actor=officer.subject, ip=ip,
                     details={k: v for k, v in report.__dict__.items() if isinstance(v, int)})
        await uow.commit()
    return report
