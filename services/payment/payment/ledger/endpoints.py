"""The taxpayer's ledger (Buku Besar Wajib Pajak)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from kit.auth import CurrentPrincipal, MissingScope, TaxpayerForbidden, TaxpayerNotChosen
from kit.dependencies import Uow
from kit.errors import Unauthorized
from kit.pagination import InvalidCursor, Pagination
from payment.errors import responses
from payment.ledger import service
from payment.ledger.schemas import LedgerRead

router = APIRouter(prefix="/v1/ledger", tags=["ledger"])
TaxpayerParam = Annotated[str | None, Query(pattern=r"^[0-9]{16}$", description="NPWP16; default: the token's only one")]


@router.get("", response_model=LedgerRead,
            summary="Your Buku Besar: each liability per KAP-KJS and period, what paid it, the balance, the deposit",
            responses=responses(Unauthorized, MissingScope, TaxpayerForbidden, TaxpayerNotChosen, InvalidCursor))
async def get_ledger(principal: CurrentPrincipal, uow: Uow, page: Pagination,
                     npwp: TaxpayerParam = None) -> LedgerRead:
    return await service.taxpayer_ledger(uow, principal, page, npwp=npwp)
