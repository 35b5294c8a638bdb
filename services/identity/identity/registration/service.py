"""Registration use cases: start (check the application against the registries, keep it, send the two codes),
status, resend a code, verify (both codes; creates the person, the account and the taxpayer). Each commits its own
transaction."""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from identity import numbers
from identity.audit.service import record
from identity.models import Account, CompanyOfficer, OTPChallenge, PasswordReset, Person, Registration, Taxpayer
from identity.numbers import parse_nik
from identity.otp import service as otp
from identity.passwords import Passwords, check_password_rules
from identity.registration.errors import DuplicateRegistration, PICNotAnOfficer, RegistrationNotFound, RegistryMismatch
from identity.registration.registries import Registries, countries
from identity.registration.repository import RegistrationRepository
from identity.registration.rules import check_foreigner, is_officer, matches_resident
from identity.registration.schemas import (
    Application,
    CompanyApplication,
    ForeignerApplication,
    ResidentApplication,
)
from identity.sessions import service as sessions
from identity.settings import IdentitySettings
from identity.taxpayers.errors import TaxpayerAlreadyRegistered
from identity.taxpayers.service import NewTaxpayer, appoint_first_pic, create_taxpayer
from kit.auth import Principal
from kit.db import UnitOfWork
from kit.errors import ValidationFailed

REGISTRATION_TTL = timedelta(hours=24)
PURPOSE = "activation"


async def start(uow: UnitOfWork, settings: IdentitySettings, passwords: Passwords, registries: Registries,
                application: Application, *, principal: Principal | None, ip: str) -> tuple[Registration,
                                                                                            list[OTPChallenge]]:
    """Validate the application against the registries, keep it, and send the two OTP codes."""
    if isinstance(application, CompanyApplication):
        stored, password_hash = await _check_company(uow, registries, application, principal), ""
    else:
        check_password_rules(application.password.get_secret_value())
        if isinstance(application, ResidentApplication):
            stored = await _check_resident(registries, application)
        else:
            stored = _check_foreigner(application)
        password_hash = await passwords.hash(application.password.get_secret_value())
    async with uow:
        registration = Registration(id=uuid.uuid4(), kind=application.kind, application=stored,
                                    password_hash=password_hash, email=application.email, phone=application.phone,
                                    expires_at=datetime.now(UTC) + REGISTRATION_TTL)
        await RegistrationRepository(uow.session).add(registration)
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


async def _check_resident(registries: Registries, app: ResidentApplication) -> dict[str, object]:
    nik = parse_nik(app.nik)
    resident = await registries.population.resident(nik.value)
    # One answer for "not in the registry" and "does not match": the registry is not an oracle. Whether the NIK
    # already has an account is not told here either (see `verify`).
    if resident is None or not matches_resident(resident, app):
        raise RegistryMismatch("NIK, name and birth date do not match the population registry")
    return {"nik": nik.value, "full_name": resident.full_name, "birth_date": resident.birth_date.isoformat(),
            "birth_place": resident.birth_place, "gender": resident.gender, "address": resident.address}


def _check_foreigner(app: ForeignerApplication) -> dict[str, object]:
    check_foreigner(app, today=date.today(), countries=countries())
    passport = app.passport_number.upper()  # whether it already has an account is not told here (see `verify`)
    data = app.model_dump(mode="json", exclude={"password", "email", "phone", "locale", "kind"})
    data["passport_number"] = passport
    return data


async def _check_company(uow: UnitOfWork, registries: Registries, app: CompanyApplication,
                         principal: Principal | None) -> dict[str, object]:
    if principal is None:
        raise ValidationFailed("a company is registered by its PIC, logged in with their own account")
    company = await registries.companies.company(app.ahu_number)
    if company is None:
        raise RegistryMismatch("no such company in the company registry (AHU)")
    async with uow:
        repo = RegistrationRepository(uow.session)
        pic = await repo.person_of_account(uuid.UUID(principal.subject))
        if pic is None:
            raise PICNotAnOfficer("only a registered person can be a company's PIC")
        officer = next((o for o in company.officers if is_officer(o, pic)), None)
        if officer is None:
            raise PICNotAnOfficer(f"{pic.full_name} is not an officer of {company.name} in the company registry; "
                                  "update the company's AHU record first")
        # told only to one of the company's own officers
        if await repo.company_registered(app.ahu_number):
            raise DuplicateRegistration("this company is already registered")
    return {"ahu_number": company.ahu_number, "name": company.name, "address": company.address,
            "pic_person_id": str(pic.id), "pic_position": officer.position,
            "officers": [dataclasses.asdict(o) for o in company.officers]}


async def status(uow: UnitOfWork, registration_id: uuid.UUID) -> tuple[Registration, list[OTPChallenge]]:
    async with uow:
        registration = await RegistrationRepository(uow.session).get(registration_id)
        if registration is None or registration.expires_at < datetime.now(UTC):
            raise RegistrationNotFound()
        return registration, await otp.challenges(uow.session, str(registration_id))


async def resend(uow: UnitOfWork, settings: IdentitySettings, registration_id: uuid.UUID, channel: str,
                 ip: str) -> OTPChallenge:
    """A new code on one channel: after a failed delivery, or when the user prefers the other channel."""
    async with uow:
        registration = await RegistrationRepository(uow.session).get(registration_id)
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
        repo = RegistrationRepository(s)
        registration = await repo.get_for_update(registration_id)
        if registration is None or registration.state != "pending" or registration.expires_at < datetime.now(UTC):
            raise RegistrationNotFound()
        # Both codes or nothing: a typo in one spends that channel's attempt and leaves the other code usable.
        outcome = await otp.check_all(s, settings.otp, subject_id=str(registration.id), purpose=PURPOSE,
                                      codes={"email": email_code, "sms": phone_code})
        if isinstance(outcome, Exception):
            await uow.commit()  # the wrong channels' attempts count
            raise outcome
        reset = await _tell_holder_if_registered(s, repo, settings, registration, ip)
        if reset is not None:
            registration.state = "duplicate"
            await record(s, "registration_duplicate", outcome="failure", ip=ip,
                         details={"registration_id": str(registration.id), "kind": registration.kind,
                                  "reset_id": str(reset.id)})
            await uow.commit()
            raise DuplicateRegistration("already registered: if it is yours, a password-reset code was sent to its "
                                        "registered e-mail address", reset_id=str(reset.id))
        try:
            completed = await _complete(repo, registration)
            await repo.flush()
        except (IntegrityError, TaxpayerAlreadyRegistered):
            raise DuplicateRegistration("registered meanwhile: use password reset to get access") from None
        registration.state = "completed"
        registration.taxpayer_id = completed.taxpayer.id if completed.taxpayer else None
        if registration.kind != "company" and completed.account is not None:
            await sessions.remember_address(s, completed.account.id, ip)  # proved by both codes from here
        await record(s, "registration_completed", ip=ip,
                     actor=str(completed.account.id) if completed.account else None,
                     acting_for=completed.taxpayer.npwp if completed.taxpayer else None,
                     details={"registration_id": str(registration.id), "kind": registration.kind})
        await uow.commit()
        return completed


async def _tell_holder_if_registered(session: AsyncSession, repo: RegistrationRepository, settings: IdentitySettings,
                                     registration: Registration, ip: str) -> PasswordReset | None:
    """Someone who proved their own e-mail and phone is registering a NIK or passport that is already registered.

    Account enumeration (OWASP ASVS 5.0 V6.3.8): the start of a registration answers and works the same for a new
    and a registered document, so the anonymous caller learns nothing there. It can only learn it here, after two
    codes to contacts it controls (each limited per destination and per address), and for a NIK only with the name
    and birth date that match the population registry. The holder is told on their own registered e-mail, with a
    password-reset code that only they receive (the caller gets the reset id, useless without that code; the
    holder who had forgotten their account finishes with it). None: the document is not registered."""
    app = registration.application
    if registration.kind == "resident":
        holder = await repo.holder(nik=app["nik"])
    elif registration.kind == "foreigner":
        holder = await repo.holder(passport=(app["passport_country"], app["passport_number"]))
    else:
        return None  # a company: its officer is told at the start
    if holder is None:
        return None
    person, account = holder
    return await sessions.open_reset(session, settings, account if account and account.status == "active" else None,
                                     channel="email", ip=ip, login=person.identity_number)


async def _complete(repo: RegistrationRepository, registration: Registration) -> Completed:
    app = registration.application
    if registration.kind == "company":
        return await _complete_company(repo, registration)
    if registration.kind == "resident":
        person = Person(kind="resident", full_name=app["full_name"], nik=app["nik"], identity_number=app["nik"],
                        birth_date=date.fromisoformat(app["birth_date"]), birth_place=app.get("birth_place"),
                        gender=app.get("gender"))
        npwp: str | None = app["nik"]  # for residents the NIK is the NPWP
    else:
        identity_number = await _new_number(repo, numbers.FOREIGN_IDENTITY)
        person = Person(kind="foreigner", full_name=app["full_name"], passport_number=app["passport_number"],
                        passport_country=app["passport_country"], nationality=app["nationality"],
                        passport_expiry=date.fromisoformat(app["passport_expiry"]),
                        stay_permit_number=app.get("stay_permit_number"),
                        stay_permit_expiry=_date(app.get("stay_permit_expiry")),
                        birth_date=date.fromisoformat(app["birth_date"]), birth_place=app.get("birth_place"),
                        gender=app.get("gender"), identity_number=identity_number)
        npwp = await _new_number(repo, numbers.FOREIGN_TAXPAYER) if app.get("register_as_taxpayer", True) else None
    await repo.add_person(person)
    account = Account(person_id=person.id, email=registration.email, phone=registration.phone,
                      password_hash=registration.password_hash)
    repo.add_account(account)
    taxpayer = None
    if registration.kind == "resident":
        # A taxpayer migrated from the legacy system and matched to this NIK by an officer: the person claims it.
        taxpayer = await repo.unclaimed_taxpayer_for_update(app["nik"])
        if taxpayer is not None:
            taxpayer.person_id = person.id
            npwp = None
    if npwp is not None:
        taxpayer = await create_taxpayer(repo.session, NewTaxpayer(
            npwp=npwp, name=person.full_name, kind="individual", person_id=person.id, email=registration.email,
            phone=registration.phone, address=app.get("address")), source="registration")
    await repo.flush()
    return Completed(taxpayer, person, account)


async def _complete_company(repo: RegistrationRepository, registration: Registration) -> Completed:
    app = registration.application
    pic = await repo.person(uuid.UUID(app["pic_person_id"]))
    assert pic is not None
    npwp = await _new_number(repo, numbers.COMPANY)
    taxpayer = await create_taxpayer(repo.session, NewTaxpayer(
        npwp=npwp, name=app["name"], kind="company", email=registration.email, phone=registration.phone,
        address=app["address"], ahu_number=app["ahu_number"]), source="registration")
    for officer in app["officers"]:
        repo.add_officer(CompanyOfficer(taxpayer_id=taxpayer.id, full_name=officer["full_name"],
                                        position=officer["position"], nik=officer.get("nik"),
                                        passport_number=officer.get("passport_number")))
    account = await repo.account_of(pic.id)
    await appoint_first_pic(repo.session, taxpayer, pic.id, account.id)
    return Completed(taxpayer, pic, account)


async def _new_number(repo: RegistrationRepository, prefix: str) -> str:
    """A new number of type `prefix`, checked against every NPWP and identity number in use."""
    while True:
        candidate = numbers.new_number(prefix)
        if not await repo.number_taken(candidate):
            return candidate


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None
