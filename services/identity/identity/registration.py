"""Registration of residents (NIK), foreigners (passport, any nationality) and companies (AHU record), confirmed by
OTP codes to the e-mail address and the phone, ending in a taxpayer with NPWP16 and NITKU."""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from importlib import resources

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.identity import PKPStatusChanged, RepresentativeGranted, TaxpayerRegistered
from identity import otp
from identity.audit import record
from identity.errors import (
    DuplicateRegistration,
    PassportExpired,
    PICNotAnOfficer,
    RegistrationNotFound,
    RegistryMismatch,
    StayPermitExpired,
)
from identity.models import (
    Account,
    CompanyOfficer,
    OTPChallenge,
    Person,
    PKPStatusPeriod,
    Registration,
    RoleGrant,
    Taxpayer,
)
from identity.numbers import parse_nik
from identity.passwords import Passwords, check_password_rules
from identity.registries import CompanyRegistry, PopulationRegistry, same_name
from identity.schemas import Application, CompanyApplication, ForeignerApplication, ResidentApplication
from identity.settings import IdentitySettings
from kit.auth import Principal
from kit.db import UnitOfWork
from kit.errors import ValidationFailed
from kit.identifiers import head_office_nitku, luhn_ok
from kit.outbox import publish

REGISTRATION_TTL = timedelta(hours=24)
PURPOSE = "activation"


class UnknownCountry(ValidationFailed):
    code, title = "registration.unknown_country", "Unknown country code"


@lru_cache
def countries() -> dict[str, str]:
    raw = json.loads(resources.files("identity.data").joinpath("countries.json").read_text())
    return dict(raw["countries"])


@dataclass
class Registries:
    population: PopulationRegistry
    companies: CompanyRegistry


async def start(uow: UnitOfWork, settings: IdentitySettings, passwords: Passwords, registries: Registries,
                application: Application, *, principal: Principal | None, ip: str) -> tuple[Registration,
                                                                                            list[OTPChallenge]]:
    """Validate the application against the registries, keep it, and send the two OTP codes."""
    if isinstance(application, CompanyApplication):
        stored, password_hash = await _check_company(uow, registries, application, principal), ""
    else:
        check_password_rules(application.password.get_secret_value())
        if isinstance(application, ResidentApplication):
            stored = await _check_resident(uow, registries, application)
        else:
            stored = await _check_foreigner(uow, application)
        password_hash = await passwords.hash(application.password.get_secret_value())
    async with uow:
        registration = Registration(id=uuid.uuid4(), kind=application.kind, application=stored,
                                    password_hash=password_hash, email=application.email, phone=application.phone,
                                    expires_at=datetime.now(UTC) + REGISTRATION_TTL)
        uow.session.add(registration)
        await uow.session.flush()
        challenges = [
            await otp.issue(uow.session, settings.otp, otp.OTPRequest(
                purpose=PURPOSE, subject_id=str(registration.id), channel=channel, destination=destination,
                locale=application.locale, ip=ip))
            for channel, destination in (("email", application.email), ("sms", application.phone))
        ]
        await record(uow.session, "registration_started", ip=ip, actor=principal.subject if principal else None,
                     details={"registration_id": str(registration.id), "kind": application.kind})
        await uow.commit()
        return registration, challenges


async def _check_resident(uow: UnitOfWork, registries: Registries, app: ResidentApplication) -> dict[str, object]:
    nik = parse_nik(app.nik)
    resident = await registries.population.resident(nik.value)
    # One answer for "not in the registry" and "does not match": the registry is not an oracle.
    if resident is None or not same_name(resident.full_name, app.full_name) or resident.birth_date != app.birth_date:
        raise RegistryMismatch("NIK, name and birth date do not match the population registry")
    async with uow:
        if (await uow.session.execute(select(Person.id).where(Person.nik == nik.value))).first():
            raise DuplicateRegistration("this NIK is already registered: use password reset to get access")
    return {"nik": nik.value, "full_name": resident.full_name, "birth_date": resident.birth_date.isoformat(),
            "birth_place": resident.birth_place, "gender": resident.gender, "address": resident.address}


async def _check_foreigner(uow: UnitOfWork, app: ForeignerApplication) -> dict[str, object]:
    for code in (app.passport_country, app.nationality):
        if code not in countries():
            raise UnknownCountry(f"{code} is not an ISO 3166-1 alpha-3 country code")
    today = date.today()
    if app.passport_expiry <= today:
        raise PassportExpired(f"the passport expired on {app.passport_expiry}")
    if app.register_as_taxpayer:
        if not app.stay_permit_number or not app.stay_permit_expiry:
            raise ValidationFailed("an NPWP for a foreigner needs a stay permit (KITAS/KITAP) and its expiry",
                                   field="stay_permit_number")
        if app.stay_permit_expiry <= today:
            raise StayPermitExpired(f"the stay permit expired on {app.stay_permit_expiry}")
    passport = app.passport_number.upper()
    async with uow:
        existing = await uow.session.execute(select(Person.id).where(
            Person.passport_country == app.passport_country, Person.passport_number == passport))
        if existing.first():
            raise DuplicateRegistration("this passport is already registered: use password reset to get access")
    data = app.model_dump(mode="json", exclude={"password", "email", "phone", "locale", "kind"})
    data["passport_number"] = passport
    return data


async def _check_company(uow: UnitOfWork, registries: Registries, app: CompanyApplication,
                         principal: Principal | None) -> dict[str, object]:
    if principal is None:
        raise ValidationFailed("a company is registered by its PIC, logged in with their own account")
    record_ = await registries.companies.company(app.ahu_number)
    if record_ is None:
        raise RegistryMismatch("no such company in the company registry (AHU)")
    async with uow:
        pic = (await uow.session.execute(select(Person).join(Account, Account.person_id == Person.id)
                                         .where(Account.id == uuid.UUID(principal.subject)))).scalar_one_or_none()
        if pic is None:
            raise PICNotAnOfficer("only a registered person can be a company's PIC")
        if (await uow.session.execute(select(Taxpayer.id).where(Taxpayer.ahu_number == app.ahu_number))).first():
            raise DuplicateRegistration("this company is already registered")
    officer = next((o for o in record_.officers if _is_officer(o, pic)), None)
    if officer is None:
        raise PICNotAnOfficer(f"{pic.full_name} is not an officer of {record_.name} in the company registry; "
                              "update the company's AHU record first")
    return {"ahu_number": record_.ahu_number, "name": record_.name, "address": record_.address,
            "pic_person_id": str(pic.id), "pic_position": officer.position,
            "officers": [o.__dict__ for o in record_.officers]}


def _is_officer(officer: object, person: Person) -> bool:
    o = officer
    if getattr(o, "nik", None) and person.nik:
        return bool(o.nik == person.nik and same_name(o.full_name, person.full_name))  # type: ignore[attr-defined]
    if getattr(o, "passport_number", None) and person.passport_number:
        return bool(o.passport_number.upper() == person.passport_number  # type: ignore[attr-defined]
                    and o.passport_country == person.passport_country  # type: ignore[attr-defined]
                    and same_name(o.full_name, person.full_name))  # type: ignore[attr-defined]
    return False


async def status(uow: UnitOfWork, registration_id: uuid.UUID) -> tuple[Registration, list[OTPChallenge]]:
    async with uow:
        registration = await uow.session.get(Registration, registration_id)
        if registration is None or registration.expires_at < datetime.now(UTC):
            raise RegistrationNotFound()
        challenges = (await uow.session.execute(
            select(OTPChallenge).where(OTPChallenge.subject_id == str(registration_id),
                                       OTPChallenge.superseded_at.is_(None))
            .order_by(OTPChallenge.created_at))).scalars().all()
        return registration, list(challenges)


async def resend(uow: UnitOfWork, settings: IdentitySettings, registration_id: uuid.UUID, channel: str,
                 ip: str) -> OTPChallenge:
    """A new code on one channel: after a failed delivery, or when the user prefers the other channel."""
    async with uow:
        registration = await uow.session.get(Registration, registration_id)
        if registration is None or registration.state != "pending" or registration.expires_at < datetime.now(UTC):
            raise RegistrationNotFound()
        destination = registration.email if channel == "email" else registration.phone
        challenge = await otp.issue(uow.session, settings.otp, otp.OTPRequest(
            purpose=PURPOSE, subject_id=str(registration.id), channel=channel, destination=destination, ip=ip))
        await uow.commit()
        return challenge


@dataclass(frozen=True)
class Completed:
    taxpayer: Taxpayer | None
    person: Person
    account: Account | None


async def verify(uow: UnitOfWork, settings: IdentitySettings, registration_id: uuid.UUID, *, email_code: str,
                 phone_code: str, ip: str) -> Completed:
    async with uow:
        s = uow.session
        registration = (await s.execute(select(Registration).where(Registration.id == registration_id)
                                        .with_for_update())).scalar_one_or_none()
        if registration is None or registration.state != "pending" or registration.expires_at < datetime.now(UTC):
            raise RegistrationNotFound()
        for channel, code in (("email", email_code), ("sms", phone_code)):
            outcome = await otp.check(s, settings.otp, subject_id=str(registration.id), purpose=PURPOSE,
                                      channel=channel, code=code)
            if isinstance(outcome, Exception):
                await uow.commit()  # the attempt counts
                raise outcome
        try:
            completed = await _complete(s, registration)
            await s.flush()
        except IntegrityError:
            raise DuplicateRegistration("registered meanwhile: use password reset to get access") from None
        registration.state = "completed"
        registration.taxpayer_id = completed.taxpayer.id if completed.taxpayer else None
        await record(s, "registration_completed", ip=ip,
                     actor=str(completed.account.id) if completed.account else None,
                     acting_for=completed.taxpayer.npwp if completed.taxpayer else None,
                     details={"registration_id": str(registration.id), "kind": registration.kind})
        await uow.commit()
        return completed


async def _complete(s: AsyncSession, registration: Registration) -> Completed:
    app = registration.application
    if registration.kind == "company":
        return await _complete_company(s, registration)
    if registration.kind == "resident":
        person = Person(kind="resident", full_name=app["full_name"], nik=app["nik"], identity_number=app["nik"],
                        birth_date=date.fromisoformat(app["birth_date"]), birth_place=app.get("birth_place"),
                        gender=app.get("gender"))
        npwp: str | None = app["nik"]  # for residents the NIK is the NPWP
    else:
        identity_number = await _new_number(s, "98")
        person = Person(kind="foreigner", full_name=app["full_name"], passport_number=app["passport_number"],
                        passport_country=app["passport_country"], nationality=app["nationality"],
                        passport_expiry=date.fromisoformat(app["passport_expiry"]),
                        stay_permit_number=app.get("stay_permit_number"),
                        stay_permit_expiry=_date(app.get("stay_permit_expiry")),
                        birth_date=date.fromisoformat(app["birth_date"]), birth_place=app.get("birth_place"),
                        gender=app.get("gender"), identity_number=identity_number)
        npwp = await _new_number(s, "08") if app.get("register_as_taxpayer", True) else None
    s.add(person)
    await s.flush()
    account = Account(person_id=person.id, email=registration.email, phone=registration.phone,
                      password_hash=registration.password_hash)
    s.add(account)
    taxpayer = None
    if registration.kind == "resident":
        # A taxpayer migrated from the legacy system and matched to this NIK by an officer: the person claims it.
        taxpayer = (await s.execute(select(Taxpayer).where(Taxpayer.npwp == npwp, Taxpayer.person_id.is_(None))
                                    .with_for_update())).scalar_one_or_none()
        if taxpayer is not None:
            taxpayer.person_id = person.id
            npwp = None
    if npwp is not None:
        taxpayer = await _new_taxpayer(s, npwp=npwp, name=person.full_name, kind="individual", person_id=person.id,
                                       email=registration.email, phone=registration.phone,
                                       address=app.get("address"))
    await s.flush()
    return Completed(taxpayer, person, account)


async def _complete_company(s: AsyncSession, registration: Registration) -> Completed:
    app = registration.application
    pic = await s.get(Person, uuid.UUID(app["pic_person_id"]))
    assert pic is not None
    npwp = await _new_number(s, "01")
    taxpayer = await _new_taxpayer(s, npwp=npwp, name=app["name"], kind="company", person_id=None,
                                   email=registration.email, phone=registration.phone, address=app["address"],
                                   ahu_number=app["ahu_number"])
    for officer in app["officers"]:
        s.add(CompanyOfficer(taxpayer_id=taxpayer.id, full_name=officer["full_name"], position=officer["position"],
                             nik=officer.get("nik"), passport_number=officer.get("passport_number")))
    grant = RoleGrant(id=uuid.uuid4(), taxpayer_id=taxpayer.id, person_id=pic.id, role="pic",
                      granted_at=datetime.now(UTC))
    s.add(grant)
    account = (await s.execute(select(Account).where(Account.person_id == pic.id))).scalar_one()
    await publish(s, RepresentativeGranted(
        grant_id=str(grant.id), taxpayer_id=str(taxpayer.id), npwp=taxpayer.npwp, person_id=str(pic.id),
        account_id=str(account.id), role="pic", granted_by=None, granted_at=grant.granted_at),
        key=taxpayer.npwp, subject=str(taxpayer.id), aggregate_type="taxpayer", sequence=taxpayer.version)
    return Completed(taxpayer, pic, account)


async def _new_taxpayer(s: AsyncSession, *, npwp: str, name: str, kind: str, person_id: uuid.UUID | None,
                        email: str, phone: str, address: str | None, ahu_number: str | None = None) -> Taxpayer:
    now = datetime.now(UTC)
    taxpayer = Taxpayer(id=uuid.uuid4(), npwp=npwp, nitku=head_office_nitku(npwp), name=name, kind=kind,
                        person_id=person_id, email=email, phone=phone, address=address, ahu_number=ahu_number,
                        is_pkp=False, version=1, registered_at=now)
    s.add(taxpayer)
    await s.flush()  # no relationship() between the mapped classes, so flush the parent row first
    s.add(PKPStatusPeriod(taxpayer_id=taxpayer.id, is_pkp=False, effective_date=now.date(), source="registration"))
    await publish(s, TaxpayerRegistered(taxpayer_id=str(taxpayer.id), npwp=npwp, nitku=taxpayer.nitku, name=name,
                                        kind=kind, registered_at=now),  # type: ignore[arg-type]
                  key=npwp, subject=str(taxpayer.id), aggregate_type="taxpayer", sequence=taxpayer.version)
    await publish(s, PKPStatusChanged(taxpayer_id=str(taxpayer.id), npwp=npwp, is_pkp=False,
                                      effective_date=now.date(), source_of_change="registration"),
                  key=npwp, subject=str(taxpayer.id), aggregate_type="taxpayer", sequence=taxpayer.version)
    return taxpayer


async def _new_number(s: AsyncSession, prefix: str) -> str:
    """A new 16-digit number '0' + NPWP15: a 2-digit type prefix, 6-digit serial, Luhn check digit, and 6 more
    digits; random, checked against every NPWP and identity number in use ('98' marks identity numbers of
    foreigners without an NPWP, '08' foreign taxpayers, '01' companies)."""
    while True:
        body = prefix + f"{secrets.randbelow(10**6):06d}"
        check = next(d for d in "0123456789" if luhn_ok(body + d))
        candidate = "0" + body + check + f"{secrets.randbelow(10**6):06d}"
        taken = await s.execute(select(Taxpayer.id).where(Taxpayer.npwp == candidate).union_all(
            select(Person.id).where(or_(Person.identity_number == candidate, Person.nik == candidate))))
        if taken.first() is None:
            return candidate


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None
