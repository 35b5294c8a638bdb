"""One way to make what payment tests need: tokens for taxpayers and banks, taxpayers in the registry replica (as
identity's events would put them), request bodies."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kit.testing.events import random_npwp
from kit.testing.tokens import TokenMaker

MAKER = TokenMaker()
TAXPAYER_SCOPES = ("payment:read", "payment:write")


def taxpayer_token(*npwps: str, scopes: tuple[str, ...] = TAXPAYER_SCOPES, **claims: Any) -> dict[str, str]:
    """A person's token acting for `npwps` (identity's `tid`), with the payment scopes of a PIC."""
    token = MAKER.make(subject=str(uuid.uuid4()), scopes=scopes, taxpayer_ids=npwps, **claims)
    return {"authorization": f"Bearer {token}"}


def bank_token(bank: str = "bank-bri", *, scopes: tuple[str, ...] = ("payment:bank",), kind: str = "bank",
               **claims: Any) -> dict[str, str]:
    """A collecting bank's client-credentials token, as identity issues them (client_kind, client_id)."""
    token = MAKER.make(subject=bank, scopes=scopes, client_kind=kind, client_id=bank, **claims)
    return {"authorization": f"Bearer {token}"}


def mandiri_body(npwp: str | None = None, *, kap_kjs: str = "411121-100", period: str | None = "2025-08",
                 amount: str | int = "1500000", **more: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"kap_kjs": kap_kjs, "amount": amount, **more}
    if npwp is not None:
        body["npwp"] = npwp
    if period is not None:
        body["period"] = period
    return body


async def registered_taxpayer(sessions: async_sessionmaker[AsyncSession], name: str = "PT Contoh Bayar",
                              npwp: str | None = None) -> str:
    """A taxpayer in payment's registry replica (what identity's TaxpayerRegistered leaves there)."""
    npwp = npwp or random_npwp()
    async with sessions() as session, session.begin():
        await session.execute(text(
            "INSERT INTO taxpayer (npwp, taxpayer_id, nitku, name, kind, registered_at, source_sequence) "
            "VALUES (:n, :t, :n || '000000', :name, 'company', :r, 1)"),
            {"n": npwp, "t": str(uuid.uuid4()), "name": name, "r": datetime(2024, 1, 1, tzinfo=UTC)})
    return npwp
