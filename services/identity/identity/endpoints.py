from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request

from identity import service
from identity.errors import TaxpayerAlreadyRegistered, TaxpayerNotFound
from identity.schemas import TaxpayerCreate, TaxpayerRead
from kit.app import state_of
from kit.db import UnitOfWork


def unit_of_work(request: Request) -> UnitOfWork:
    return UnitOfWork(state_of(request).sessions)


UoW = Annotated[UnitOfWork, Depends(unit_of_work)]

# Internal until registration proper (NIK, passport, company record, OTP) lands: not routed by the public ingress.
router = APIRouter(prefix="/internal/v1/taxpayers", tags=["taxpayers (internal)"])


@router.post("", status_code=201, response_model=TaxpayerRead, summary="Create a taxpayer record",
             responses={409: TaxpayerAlreadyRegistered.openapi()})
async def create_taxpayer(body: TaxpayerCreate, uow: UoW) -> TaxpayerRead:
    return TaxpayerRead.model_validate(await service.register_taxpayer(uow, body))


@router.get("/{npwp}", response_model=TaxpayerRead, summary="Read a taxpayer record",
            responses={404: TaxpayerNotFound.openapi()})
async def read_taxpayer(npwp: Annotated[str, Path(pattern=r"^\d{16}$")], uow: UoW) -> TaxpayerRead:
    return TaxpayerRead.model_validate(await service.get_taxpayer(uow, npwp))
