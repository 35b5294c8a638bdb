"""Officer tools: NIK-NPWP matching, PKP status decisions, bulk import from the legacy system, the audit log, and
the PJAP register. Officers call them with a token carrying `identity:officer`."""

from __future__ import annotations

import csv
import io
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import select, tuple_

from contracts.identity import TaxpayerRegistered
from identity.access import taxpayer_for
from identity.audit import record
from identity.errors import ClientNotFound, NotRepresentative, RegistryMismatch, TaxpayerNotFound
from identity.models import AuditEvent, NPWPChange, Person, PJAPClient, PJAPDelegation, PKPStatusPeriod, Taxpayer
from identity.numbers import InvalidNPWP, npwp15_to_npwp16, parse_nik, validate_npwp15
from identity.passwords import Passwords
from identity.profile import publish_update, set_pkp_status
from identity.registries import PopulationRegistry, same_name
from kit.auth import Principal
from kit.db import UnitOfWork
from kit.errors import Conflict, ValidationFailed
from kit.identifiers import head_office_nitku
from kit.outbox import publish
from kit.pagination import CursorParams, encode_cursor


class NotMatchable(Conflict):
    code, title = "nik_matching.not_applicable", "This taxpayer cannot be matched to a NIK"


async def match_nik(uow: UnitOfWork, registry: PopulationRegistry, officer: Principal, npwp: str, nik: str,
                    ip: str) -> Taxpayer:
    """Seed item 14: convert a resident individual's NPWP15-based NPWP16 to the NIK, keeping history; the person
    can then log in with the NIK."""
    parsed = parse_nik(nik)
    async with uow:
        s = uow.session
        taxpayer = (await s.execute(select(Taxpayer).where(Taxpayer.npwp == npwp).with_for_update())).scalar_one_or_none()
        if taxpayer is None:
            raise TaxpayerNotFound()
        if taxpayer.kind != "individual" or not taxpayer.npwp.startswith("0"):
            raise NotMatchable("only an individual with a legacy (0-prefixed) NPWP is matched to a NIK")
        resident = await registry.resident(parsed.value)
        if resident is None or not same_name(resident.full_name, taxpayer.name):
            raise RegistryMismatch("the NIK does not belong to this taxpayer in the population registry")
        if (await s.execute(select(Taxpayer.id).where(Taxpayer.npwp == parsed.value))).first():
            raise NotMatchable("this NIK is already the NPWP of another taxpayer")
        old = taxpayer.npwp
        taxpayer.npwp, taxpayer.nitku = parsed.value, head_office_nitku(parsed.value)
        if taxpayer.person_id is not None:
            person = await s.get(Person, taxpayer.person_id)
            assert person is not None
            person.nik, person.kind = parsed.value, "resident"
        s.add(NPWPChange(taxpayer_id=taxpayer.id, old_npwp=old, new_npwp=parsed.value, reason="nik_matching",
                         changed_by=officer.subject))
        await publish_update(s, taxpayer, ["npwp", "nitku"], previous_npwp=old)
        await record(s, "nik_matched", actor=officer.subject, acting_for=parsed.value, ip=ip,
                     details={"old_npwp": old})
        await uow.commit()
        return taxpayer


async def decide_pkp(uow: UnitOfWork, officer: Principal, npwp: str, *, is_pkp: bool, effective_date: date,
                     ip: str) -> list[PKPStatusPeriod]:
    async with uow:
        s = uow.session
        taxpayer = (await s.execute(select(Taxpayer).where(Taxpayer.npwp == npwp).with_for_update())).scalar_one_or_none()
        if taxpayer is None:
            raise TaxpayerNotFound()
        await set_pkp_status(s, taxpayer, is_pkp=is_pkp, effective_date=effective_date, source="officer")
        await record(s, "pkp_status_decided", actor=officer.subject, acting_for=npwp, ip=ip,
                     details={"is_pkp": is_pkp, "effective_date": effective_date.isoformat()})
        await uow.commit()
        return list((await s.execute(select(PKPStatusPeriod).where(PKPStatusPeriod.taxpayer_id == taxpayer.id)
                                     .order_by(PKPStatusPeriod.recorded_at))).scalars())


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    conflicts: list[dict[str, object]] = field(default_factory=list)
    errors: list[dict[str, object]] = field(default_factory=list)


LEGACY_COLUMNS = ("npwp15", "name", "kind", "is_pkp", "pkp_since", "email", "phone", "address")


async def import_legacy(uow: UnitOfWork, officer: Principal, csv_text: str, ip: str) -> ImportReport:
    """Bulk import from the legacy system (one CSV with LEGACY_COLUMNS). NPWP15 becomes '0' + NPWP15; PKP status and
    e-mail are carried exactly (seed items 3, 13). A row that disagrees with what is already here is reported as a
    conflict and not applied: the reconciliation report says what an officer must decide. All or nothing per file
    for the rows that apply."""
    report = ImportReport()
    reader = csv.DictReader(io.StringIO(csv_text.lstrip("\ufeff")))
    missing = [c for c in ("npwp15", "name", "is_pkp", "email") if c not in (reader.fieldnames or [])]
    if missing:
        raise ValidationFailed(f"the CSV lacks columns: {', '.join(missing)}", expected=list(LEGACY_COLUMNS))
    async with uow:
        s = uow.session
        for line, row in enumerate(reader, start=2):
            report.rows += 1
            try:
                npwp15 = validate_npwp15(row["npwp15"])
                is_pkp = _bool(row["is_pkp"])
            except (InvalidNPWP, ValueError) as exc:
                report.errors.append({"line": line, "npwp15": row.get("npwp15"), "error": str(exc)})
                continue
            npwp = npwp15_to_npwp16(npwp15)
            email = (row.get("email") or "").strip() or None  # exactly as in the legacy system, case included
            existing = (await s.execute(select(Taxpayer).where(Taxpayer.npwp == npwp).with_for_update())
                        ).scalar_one_or_none()
            if existing is None:
                await _create_legacy(s, npwp, npwp15, row, is_pkp, email)
                report.created += 1
                continue
            differences = {k: {"here": here, "legacy": there} for k, here, there in (
                ("name", existing.name, row["name"].strip()), ("email", existing.email, email),
                ("is_pkp", existing.is_pkp, is_pkp)) if here != there and not (k == "email" and here is None)}
            if differences:
                report.conflicts.append({"line": line, "npwp": npwp, "differences": differences})
            elif existing.email is None and email:
                existing.email = email
                await publish_update(s, existing, ["email"])
                report.updated += 1
            else:
                report.unchanged += 1
        await record(s, "legacy_import", actor=officer.subject, ip=ip,
                     details={k: v for k, v in report.__dict__.items() if isinstance(v, int)})
        await uow.commit()
    return report


async def _create_legacy(s, npwp: str, npwp15: str, row: dict[str, str], is_pkp: bool,  # type: ignore[no-untyped-def]
                         email: str | None) -> None:
    kind = (row.get("kind") or "company").strip().lower()
    now = datetime.now(UTC)
    taxpayer = Taxpayer(id=uuid.uuid4(), npwp=npwp, nitku=head_office_nitku(npwp), name=row["name"].strip(),
                        kind=kind if kind in ("individual", "company", "government") else "company",
                        legacy_npwp15=npwp15, email=email, phone=(row.get("phone") or "").strip() or None,
                        address=(row.get("address") or "").strip() or None, is_pkp=False, version=1,
                        registered_at=now)
    s.add(taxpayer)
    await s.flush()
    s.add(PKPStatusPeriod(taxpayer_id=taxpayer.id, is_pkp=False, effective_date=now.date(), source="legacy_import"))
    await publish(s, TaxpayerRegistered(taxpayer_id=str(taxpayer.id), npwp=npwp, nitku=taxpayer.nitku,
                                        name=taxpayer.name, kind=taxpayer.kind, registered_at=now),  # type: ignore[arg-type]
                  key=npwp, subject=str(taxpayer.id), aggregate_type="taxpayer", sequence=taxpayer.version)
    if is_pkp:
        since = date.fromisoformat(row["pkp_since"]) if row.get("pkp_since") else now.date()
        await set_pkp_status(s, taxpayer, is_pkp=True, effective_date=since, source="legacy_import")


def _bool(value: str) -> bool:
    v = (value or "").strip().lower()
    if v in ("1", "true", "ya", "y", "yes", "pkp"):
        return True
    if v in ("0", "false", "tidak", "n", "no", "non-pkp", ""):
        return False
    raise ValueError(f"is_pkp {value!r} is not a yes/no value")


async def audit_events(uow: UnitOfWork, page: CursorParams, *, actor: str | None, action: str | None,
                       acting_for: str | None) -> tuple[list[AuditEvent], str | None]:
    async with uow:
        query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(page.limit + 1)
        if actor:
            query = query.where(AuditEvent.actor_id == actor)
        if action:
            query = query.where(AuditEvent.action == action)
        if acting_for:
            query = query.where(AuditEvent.acting_for == acting_for)
        if page.after:
            query = query.where(tuple_(AuditEvent.at, AuditEvent.id) < (page.after.created_at, page.after.id))
        rows = list((await uow.session.execute(query)).scalars())
        more = len(rows) > page.limit
        rows = rows[:page.limit]
        return rows, encode_cursor(rows[-1].at, rows[-1].id) if more else None


# -- PJAP ------------------------------------------------------------------------------------------------------
async def register_client(uow: UnitOfWork, passwords: Passwords, officer: Principal | None, *, name: str,
                          scopes: list[str], kind: str, rate_limit_per_minute: int, ip: str) -> tuple[PJAPClient, str]:
    """A new machine client; the secret is shown once and stored only as an Argon2id hash."""
    secret = secrets.token_urlsafe(32)
    secret_hash = await passwords.hash(secret)
    async with uow:
        client = PJAPClient(client_id=f"{kind}-{secrets.token_hex(6)}", secret_hash=secret_hash, name=name,
                            scopes=" ".join(sorted(set(scopes))), kind=kind,
                            rate_limit_per_minute=rate_limit_per_minute)
        uow.session.add(client)
        await uow.session.flush()
        await record(uow.session, "client_registered", actor=officer.subject if officer else "cli", ip=ip,
                     details={"client_id": client.client_id, "kind": kind, "scopes": client.scopes})
        await uow.commit()
        return client, secret


async def delegate(uow: UnitOfWork, principal: Principal, npwp: str, *, client_id: str, scopes: list[str],
                   ip: str) -> PJAPDelegation:
    """The taxpayer (its own person, or its PIC) allows a PJAP to act for it with some scopes."""
    async with uow:
        s = uow.session
        taxpayer = await taxpayer_for(s, principal, npwp, scope="roles:manage")
        client = (await s.execute(select(PJAPClient).where(PJAPClient.client_id == client_id,
                                                           PJAPClient.kind == "pjap"))).scalar_one_or_none()
        if client is None or not client.active:
            raise ClientNotFound()
        allowed = sorted(set(scopes) & set(client.scopes.split()))
        if not allowed:
            raise NotRepresentative("none of these scopes is available to this PJAP")
        existing = (await s.execute(select(PJAPDelegation).where(
            PJAPDelegation.taxpayer_id == taxpayer.id, PJAPDelegation.client_id == client_id,
            PJAPDelegation.revoked_at.is_(None)).with_for_update())).scalar_one_or_none()
        if existing:
            existing.scopes = " ".join(allowed)
            delegation = existing
        else:
            delegation = PJAPDelegation(taxpayer_id=taxpayer.id, client_id=client_id, scopes=" ".join(allowed),
                                        granted_by=uuid.UUID(str(principal.actor["sub"] if principal.actor
                                                                 else principal.subject)))
            s.add(delegation)
        await s.flush()
        await record(s, "pjap_delegated", actor=str(delegation.granted_by), acting_for=npwp, ip=ip,
                     details={"client_id": client_id, "scopes": allowed})
        await uow.commit()
        return delegation


async def revoke_delegation(uow: UnitOfWork, principal: Principal, npwp: str, client_id: str, ip: str) -> None:
    async with uow:
        s = uow.session
        taxpayer = await taxpayer_for(s, principal, npwp, scope="roles:manage")
        delegation = (await s.execute(select(PJAPDelegation).where(
            PJAPDelegation.taxpayer_id == taxpayer.id, PJAPDelegation.client_id == client_id,
            PJAPDelegation.revoked_at.is_(None)).with_for_update())).scalar_one_or_none()
        if delegation is None:
            raise ClientNotFound("no active delegation to this PJAP")
        delegation.revoked_at = datetime.now(UTC)
        await record(s, "pjap_revoked", actor=principal.subject, acting_for=npwp, ip=ip,
                     details={"client_id": client_id})
        await uow.commit()
