"""PJAP endpoints: the register for officers (`identity:officer`, under /internal: the public ingress does not route
it) and a taxpayer's delegations to a PJAP."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from identity.auth import NPWP, ClientIP, Officer, PasswordsDep, UoW
from identity.pjap import service
from identity.pjap.errors import ClientNotFound
from identity.pjap.schemas import ClientCreate, ClientCreated, DelegationCreate, DelegationRead
from identity.taxpayers.errors import NotRepresentative
from kit.auth import CurrentPrincipal
from kit.text import text

officer_router = APIRouter(prefix="/internal/v1", tags=["officer (internal)"])
router = APIRouter(tags=["me and my taxpayers"])
FORBIDDEN = {403: NotRepresentative.openapi()}


@officer_router.post("/clients", status_code=201, response_model=ClientCreated,
                     summary="Register a PJAP or service client")
async def register_client(body: ClientCreate, who: Officer, uow: UoW, passwords: PasswordsDep,
                          ip: ClientIP) -> ClientCreated:
    client, secret = await service.register_client(uow, passwords, who, name=body.name, scopes=body.scopes,
                                                   kind=body.kind, rate_limit_per_minute=body.rate_limit_per_minute,
                                                   ip=ip)
    return ClientCreated(client_id=client.client_id, client_secret=secret, name=client.name, scopes=client.scopes,
                         kind=client.kind, rate_limit_per_minute=client.rate_limit_per_minute)


@router.post("/v1/taxpayers/{npwp}/pjap-delegations", status_code=201, response_model=DelegationRead,
             responses={**FORBIDDEN, 404: ClientNotFound.openapi()},
             summary="Allow a PJAP to act for this taxpayer with some scopes")
async def delegate(npwp: NPWP, body: DelegationCreate, principal: CurrentPrincipal, uow: UoW,
                   ip: ClientIP) -> DelegationRead:
    return DelegationRead.model_validate(await service.delegate(uow, principal, npwp, client_id=body.client_id,
                                                                scopes=body.scopes, ip=ip))


@router.delete("/v1/taxpayers/{npwp}/pjap-delegations/{client_id}", status_code=204,
               responses={**FORBIDDEN, 404: ClientNotFound.openapi()})
async def revoke_delegation(npwp: NPWP, client_id: Annotated[text(100), Path()], principal: CurrentPrincipal, uow: UoW, ip: ClientIP) -> None:
    await service.revoke_delegation(uow, principal, npwp, client_id, ip)


routers = [officer_router, router]
