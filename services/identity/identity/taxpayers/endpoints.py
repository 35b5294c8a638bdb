"""Endpoints for a logged-in person and the taxpayers they act for (me, profile, contacts, bank accounts, PKP
history, roles), and the minimal internal taxpayer records (tooling, tests)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from identity.auth import NPWP, ClientIP, Settings, UoW
from identity.otp.errors import OTPInvalid
from identity.taxpayers import service
from identity.taxpayers.errors import (
    GrantNotFound,
    NotRepresentative,
    PersonNotFound,
    RoleAlreadyGranted,
    RoleForbidden,
    TaxpayerAlreadyRegistered,
    TaxpayerNotFound,
)
from identity.taxpayers.schemas import (
    ActingFor,
    BankAccountCreate,
    BankAccountRead,
    ContactChangeConfirm,
    ContactChangeCreate,
    ContactChangeRead,
    MeRead,
    PKPPeriodRead,
    ProfileRead,
    ProfileUpdate,
    RoleGrantCreate,
    RoleGrantRead,
    TaxpayerCreate,
    TaxpayerRead,
)
from kit.access import REGISTRY_READ, REGISTRY_WRITE, service_caller
from kit.auth import CurrentPrincipal

router = APIRouter(tags=["me and my taxpayers"])
FORBIDDEN = {403: NotRepresentative.openapi()}


@router.get("/v1/me", response_model=MeRead, summary="The person, and every taxpayer they may act for, with roles")
async def read_me(principal: CurrentPrincipal, uow: UoW) -> MeRead:
    me = await service.me(uow, principal)
    p, a = me.person, me.account
    return MeRead(account_id=a.id, person_id=p.id, full_name=p.full_name, identity_number=p.identity_number,
                  nik=p.nik, passport_number=p.passport_number, passport_country=p.passport_country, email=a.email,
                  phone=a.phone, locale=a.locale,
                  taxpayers=[ActingFor(taxpayer_id=t.id, npwp=t.npwp, nitku=t.nitku, name=t.name, kind=t.kind,
                                       is_pkp=t.is_pkp, roles=roles) for t, roles in me.acting_for])


@router.get("/v1/taxpayers/{npwp}/profile", response_model=ProfileRead, responses=FORBIDDEN)
async def read_profile(npwp: NPWP, principal: CurrentPrincipal, uow: UoW) -> ProfileRead:
    return ProfileRead.model_validate(await service.read_profile(uow, principal, npwp))


@router.patch("/v1/taxpayers/{npwp}/profile", response_model=ProfileRead, responses=FORBIDDEN,
              summary="Update the address (publishes TaxpayerUpdated)")
async def update_profile(npwp: NPWP, body: ProfileUpdate, principal: CurrentPrincipal, uow: UoW,
                         ip: ClientIP) -> ProfileRead:
    return ProfileRead.model_validate(await service.update_address(uow, principal, npwp, body.address, ip))


@router.post("/v1/taxpayers/{npwp}/contact-changes", status_code=202, response_model=ContactChangeRead,
             responses=FORBIDDEN, summary="Change e-mail or phone: a code goes to the NEW address or number")
async def request_contact_change(npwp: NPWP, body: ContactChangeCreate, principal: CurrentPrincipal, uow: UoW,
                                 settings: Settings, ip: ClientIP) -> ContactChangeRead:
    channel, value = body.change()
    change_id = await service.request_contact_change(uow, settings, principal, npwp, channel=channel,
                                                     new_value=value, ip=ip)
    return ContactChangeRead(change_id=change_id, channel=channel, new_value=value)


@router.post("/v1/taxpayers/{npwp}/contact-changes/{change_id}/confirm", response_model=ProfileRead,
             responses={**FORBIDDEN, 422: OTPInvalid.openapi()})
async def confirm_contact_change(npwp: NPWP, change_id: uuid.UUID, body: ContactChangeConfirm,
                                 principal: CurrentPrincipal, uow: UoW, settings: Settings,
                                 ip: ClientIP) -> ProfileRead:
    taxpayer = await service.confirm_contact_change(uow, settings, principal, npwp, change_id=change_id,
                                                    channel=body.channel, new_value=body.new_value, code=body.code,
                                                    ip=ip)
    return ProfileRead.model_validate(taxpayer)


@router.post("/v1/taxpayers/{npwp}/bank-accounts", status_code=201, response_model=BankAccountRead,
             responses=FORBIDDEN, summary="Add a bank account (for refunds)")
async def add_bank_account(npwp: NPWP, body: BankAccountCreate, principal: CurrentPrincipal, uow: UoW,
                           ip: ClientIP) -> BankAccountRead:
    return BankAccountRead.model_validate(await service.add_bank_account(uow, principal, npwp, ip=ip,
                                                                         **body.model_dump()))


@router.get("/v1/taxpayers/{npwp}/bank-accounts", response_model=list[BankAccountRead], responses=FORBIDDEN)
async def list_bank_accounts(npwp: NPWP, principal: CurrentPrincipal, uow: UoW) -> list[BankAccountRead]:
    return [BankAccountRead.model_validate(b) for b in await service.bank_accounts(uow, principal, npwp)]


@router.get("/v1/taxpayers/{npwp}/pkp-status", response_model=list[PKPPeriodRead], responses=FORBIDDEN,
            summary="PKP status history")
async def pkp_history(npwp: NPWP, principal: CurrentPrincipal, uow: UoW) -> list[PKPPeriodRead]:
    return [PKPPeriodRead.model_validate(p) for p in await service.pkp_history(uow, principal, npwp)]


@router.post("/v1/taxpayers/{npwp}/roles", status_code=201, response_model=RoleGrantRead,
             responses={**FORBIDDEN, 404: PersonNotFound.openapi(), 409: RoleAlreadyGranted.openapi()},
             summary="The PIC grants a role (pic, drafter, signer, payroll_viewer); granting pic hands the role over")
async def grant_role(npwp: NPWP, body: RoleGrantCreate, principal: CurrentPrincipal, uow: UoW,
                     ip: ClientIP) -> RoleGrantRead:
    g, p = await service.grant_role(uow, principal, npwp, person_identifier=body.person, role=body.role, ip=ip)
    return RoleGrantRead(grant_id=g.id, person_id=p.id, full_name=p.full_name, role=g.role, granted_at=g.granted_at)


@router.get("/v1/taxpayers/{npwp}/roles", response_model=list[RoleGrantRead], responses=FORBIDDEN)
async def list_roles(npwp: NPWP, principal: CurrentPrincipal, uow: UoW) -> list[RoleGrantRead]:
    return [RoleGrantRead(grant_id=g.id, person_id=p.id, full_name=p.full_name, role=g.role, granted_at=g.granted_at)
            for g, p in await service.list_roles(uow, principal, npwp)]


@router.delete("/v1/taxpayers/{npwp}/roles/{grant_id}", status_code=204,
               responses={**FORBIDDEN, 404: GrantNotFound.openapi(), 409: RoleForbidden.openapi()})
async def revoke_role(npwp: NPWP, grant_id: uuid.UUID, principal: CurrentPrincipal, uow: UoW, ip: ClientIP) -> None:
    await service.revoke_role(uow, principal, npwp, grant_id, ip=ip)


# -- minimal internal taxpayer records (officer tooling and tests), for internal services' tokens ---------------
internal_router = APIRouter(prefix="/internal/v1/taxpayers", tags=["taxpayers (internal)"])


@internal_router.post("", status_code=201, response_model=TaxpayerRead, summary="Create a taxpayer record",
                      responses={409: TaxpayerAlreadyRegistered.openapi()},
                      dependencies=[service_caller(REGISTRY_WRITE)])
async def create_taxpayer(body: TaxpayerCreate, uow: UoW) -> TaxpayerRead:
    return TaxpayerRead.model_validate(await service.register_taxpayer(uow, body))


@internal_router.get("/{npwp}", response_model=TaxpayerRead, summary="Read a taxpayer record",
                     responses={404: TaxpayerNotFound.openapi()}, dependencies=[service_caller(REGISTRY_READ)])
async def read_taxpayer(npwp: NPWP, uow: UoW) -> TaxpayerRead:
    return TaxpayerRead.model_validate(await service.get_taxpayer(uow, npwp))


routers = [router, internal_router]
