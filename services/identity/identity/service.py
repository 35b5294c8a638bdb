"""Use cases of the identity service. Each owns its transaction and writes its events to the outbox in it."""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from contracts.identity import TaxpayerRegistered
from identity.errors import TaxpayerAlreadyRegistered, TaxpayerNotFound
from identity.models import Taxpayer
from identity.schemas import TaxpayerCreate
from kit.db import UnitOfWork
from kit.outbox import publish

HEAD_OFFICE_SUFFIX = "000000"  # NITKU = NPWP16 + a 6-digit business-unit number; 000000 is the head office


async def register_taxpayer(uow: UnitOfWork, data: TaxpayerCreate) -> Taxpayer:
    async with uow:
        taxpayer = Taxpayer(npwp=data.npwp, nitku=data.npwp + HEAD_OFFICE_SUFFIX, name=data.name, kind=data.kind,
                            version=1)
        uow.session.add(taxpayer)
        try:
            await uow.session.flush()
        except IntegrityError:
            raise TaxpayerAlreadyRegistered(f"NPWP {data.npwp} is already registered") from None
        await uow.session.refresh(taxpayer, ["registered_at"])
        await publish(
            uow.session,
            TaxpayerRegistered(taxpayer_id=str(taxpayer.id), npwp=taxpayer.npwp, nitku=taxpayer.nitku,
                               name=taxpayer.name, kind=data.kind, registered_at=taxpayer.registered_at),
            key=taxpayer.npwp, subject=str(taxpayer.id), aggregate_type="taxpayer", sequence=taxpayer.version,
        )
        await uow.commit()
        return taxpayer


async def get_taxpayer(uow: UnitOfWork, npwp: str) -> Taxpayer:
    async with uow:
        taxpayer = (await uow.session.execute(select(Taxpayer).where(Taxpayer.npwp == npwp))).scalar_one_or_none()
        if taxpayer is None:
            raise TaxpayerNotFound(f"no taxpayer with NPWP {npwp}")
        return taxpayer
