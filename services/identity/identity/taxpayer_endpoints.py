"""Endpoints for a logged-in person and the taxpayers they act for: me, profile, contacts, bank accounts, PKP
history, representatives and PJAP delegations."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from identity import officer, profile, representation
from identity.access import taxpayer_for
from identity.auth import ClientIP, UoW
from identity.endpoints import Settings
from identity.errors import ClientNotFound, NotRepresentative, OTPInvalid, PersonNotFound, RoleForbidden
from identity.roles import ROLES
from identity.schemas import Email, Phone
from kit.auth import CurrentPrincipal
from kit.errors import ValidationFailed

router = APIRouter(tags=["me and my taxpayers"])
NPWP = Annotated[str, Path(pattern=r"^\d{16}$")]
FORBIDDEN = {403: NotRepresentative.openapi()}


class ActingFor(BaseModel):
    taxpayer_id: uuid.UUID
    npwp: str
    nitku: str
    name: str
    kind: str
    is_pkp: bool
    roles: list[str] = Field(description="'self' for the person's own taxpayer, else granted roles")


class MeRead(BaseModel):
    account_id: uuid.UUID
    person_id: uuid.UUID
    full_name: str
    identity_number: str
    nik: str | None
    passport_number: str | None
    passport_country: str | None
    email: str
    phone: str
    locale: str
    taxpayers: list[ActingFor]


@router.get("/v1/me", response_model=MeRead, summary="The person, and every taxpayer they may act for, with roles")
async def read_me(principal: CurrentPrincipal, uow: UoW) -> MeRead:
    me = await profile.me(uow, principal)
    p, a = me.person, me.account
    return MeRead(account_id=a.id, person_id=p.id, full_name=p.full_name, identity_number=p.identity_number,
                  nik=p.nik, passport_number=p.passport_number, passport_country=p.passport_country, email=a.email,
                  phone=a.phone, locale=a.locale,
                  taxpayers=[ActingFor(taxpayer_id=t.id, npwp=t.npwp, nitku=t.nitku, name=t.name, kind=t.kind,
                                       is_pkp=t.is_pkp, roles=roles) for t, roles in me.acting_for])


class ProfileRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    npwp: str
    nitku: str
    name: str
    kind: str
    status: str
    is_pkp: bool
    email: str | None
    phone: str | None
    address: str | None


class ProfileUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    address: str = Field(min_length=5, max_length=500)


@router.get("/v1/taxpayers/{npwp}/profile", response_model=ProfileRead, responses=FORBIDDEN)
async def read_profile(npwp: NPWP, principal: CurrentPrincipal, uow: UoW) -> ProfileRead:
    async with uow:
        return ProfileRead.model_validate(await taxpayer_for(uow.session, principal, npwp, scope="taxpayer:read"))


@router.patch("/v1/taxpayers/{npwp}/profile", response_model=ProfileRead, responses=FORBIDDEN,
              summary="Update the address (publishes TaxpayerUpdated)")
async def update_profile(npwp: NPWP, body: ProfileUpdate, principal: CurrentPrincipal, uow: UoW,
                         ip: ClientIP) -> ProfileRead:
    return ProfileRead.model_validate(await profile.update_address(uow, principal, npwp, body.address, ip))


class ContactChangeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: Email | None = None
    phone: Phone | None = None


class ContactChangeRead(BaseModel):
    change_id: uuid.UUID
    channel: str
    new_value: str


class ContactChangeConfirm(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel: Literal["sms", "email"]
    new_value: str
    code: str = Field(pattern=r"^\d{6}$")


@router.post("/v1/taxpayers/{npwp}/contact-changes", status_code=202, response_model=ContactChangeRead,
             responses=FORBIDDEN, summary="Change e-mail or phone: a code goes to the NEW address or number")
async def request_contact_change(npwp: NPWP, body: ContactChangeCreate, principal: CurrentPrincipal, uow: UoW,
                                 settings: Settings, ip: ClientIP) -> ContactChangeRead:
    channel, value = ("email", body.email) if body.email else ("sms", body.phone)
    if value is None:
        raise ValidationFailed("give the new email or the new phone")
    change_id = await profile.request_contact_change(uow, settings, principal, npwp, channel=channel,
                                                     new_value=value, ip=ip)
    return ContactChangeRead(change_id=change_id, channel=channel, new_value=value)


@router.post("/v1/taxpayers/{npwp}/contact-changes/{change_id}/confirm", response_model=ProfileRead,
             responses={**FORBIDDEN, 422: OTPInvalid.openapi()})
async def confirm_contact_change(npwp: NPWP, change_id: uuid.UUID, body: ContactChangeConfirm,
                                 principal: CurrentPrincipal, uow: UoW, settings: Settings,
                                 ip: ClientIP) -> ProfileRead:
    taxpayer = await profile.confirm_contact_change(uow, settings, principal, npwp, change_id=change_id,
                                                    channel=body.channel, new_value=body.new_value, code=body.code,
                                                    ip=ip)
    return ProfileRead.model_validate(taxpayer)


class BankAccountCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    bank_code: str = Field(pattern=r"^\d{3}$", description="3-digit bank code (e.g. 008 Mandiri)")
    account_number: str = Field(pattern=r"^\d{6,20}$")
    account_name: str = Field(min_length=2, max_length=100)
    is_refund_account: bool = False


class BankAccountRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    bank_code: str
    account_number: str
    account_name: str
    is_refund_account: bool


@router.post("/v1/taxpayers/{npwp}/bank-accounts", status_code=201, response_model=BankAccountRead,
             responses=FORBIDDEN, summary="Add a bank account (for refunds)")
async def add_bank_account(npwp: NPWP, body: BankAccountCreate, principal: CurrentPrincipal, uow: UoW,
                           ip: ClientIP) -> BankAccountRead:
    return BankAccountRead.model_validate(await profile.add_bank_account(uow, principal, npwp, ip=ip,
                                                                         **body.model_dump()))


@router.get("/v1/taxpayers/{npwp}/bank-accounts", response_model=list[BankAccountRead], responses=FORBIDDEN)
async def list_bank_accounts(npwp: NPWP, principal: CurrentPrincipal, uow: UoW) -> list[BankAccountRead]:
    return [BankAccountRead.model_validate(b) for b in await profile.bank_accounts(uow, principal, npwp)]


class PKPPeriodRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    is_pkp: bool
    effective_date: date
    source: str
    recorded_at: datetime


@router.get("/v1/taxpayers/{npwp}/pkp-status", response_model=list[PKPPeriodRead], responses=FORBIDDEN,
            summary="PKP status history")
async def pkp_history(npwp: NPWP, principal: CurrentPrincipal, uow: UoW) -> list[PKPPeriodRead]:
    return [PKPPeriodRead.model_validate(p) for p in await profile.pkp_history(uow, principal, npwp)]


class RoleGrantCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    person: str = Field(description="the grantee's NIK or identity number")
    role: Literal[ROLES]  # type: ignore[valid-type]


class RoleGrantRead(BaseModel):
    grant_id: uuid.UUID
    person_id: uuid.UUID
    full_name: str
    role: str
    granted_at: datetime


@router.post("/v1/taxpayers/{npwp}/roles", status_code=201, response_model=RoleGrantRead,
             responses={**FORBIDDEN, 404: PersonNotFound.openapi(), 409: representation.RoleAlreadyGranted.openapi()},
             summary="The PIC grants a role (pic, drafter, signer, payroll_viewer); granting pic hands the role over")
async def grant_role(npwp: NPWP, body: RoleGrantCreate, principal: CurrentPrincipal, uow: UoW,
                     ip: ClientIP) -> RoleGrantRead:
    grant = await representation.grant(uow, principal, npwp, person_identifier=body.person, role=body.role, ip=ip)
    grants = {g.id: (g, p) for g, p in await representation.list_grants(uow, principal, npwp)}
    g, p = grants[grant.id]
    return RoleGrantRead(grant_id=g.id, person_id=p.id, full_name=p.full_name, role=g.role, granted_at=g.granted_at)


@router.get("/v1/taxpayers/{npwp}/roles", response_model=list[RoleGrantRead], responses=FORBIDDEN)
async def list_roles(npwp: NPWP, principal: CurrentPrincipal, uow: UoW) -> list[RoleGrantRead]:
    return [RoleGrantRead(grant_id=g.id, person_id=p.id, full_name=p.full_name, role=g.role, granted_at=g.granted_at)
            for g, p in await representation.list_grants(uow, principal, npwp)]


@router.delete("/v1/taxpayers/{npwp}/roles/{grant_id}", status_code=204,
               responses={**FORBIDDEN, 404: representation.GrantNotFound.openapi(), 409: RoleForbidden.openapi()})
async def revoke_role(npwp: NPWP, grant_id: uuid.UUID, principal: CurrentPrincipal, uow: UoW, ip: ClientIP) -> None:
    await representation.revoke(uow, principal, npwp, grant_id, ip=ip)


class DelegationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    client_id: str
    scopes: list[str] = Field(min_length=1)


class DelegationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    client_id: str
    scopes: str
    granted_at: datetime


@router.post("/v1/taxpayers/{npwp}/pjap-delegations", status_code=201, response_model=DelegationRead,
             responses={**FORBIDDEN, 404: ClientNotFound.openapi()},
             summary="Allow a PJAP to act for this taxpayer with some scopes")
async def delegate(npwp: NPWP, body: DelegationCreate, principal: CurrentPrincipal, uow: UoW,
                   ip: ClientIP) -> DelegationRead:
    return DelegationRead.model_validate(await officer.delegate(uow, principal, npwp, client_id=body.client_id,
                                                                scopes=body.scopes, ip=ip))


@router.delete("/v1/taxpayers/{npwp}/pjap-delegations/{client_id}", status_code=204,
               responses={**FORBIDDEN, 404: ClientNotFound.openapi()})
async def revoke_delegation(npwp: NPWP, client_id: str, principal: CurrentPrincipal, uow: UoW, ip: ClientIP) -> None:
    await officer.revoke_delegation(uow, principal, npwp, client_id, ip)
