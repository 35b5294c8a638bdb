"""One way to make what payment tests need: tokens for taxpayers and banks, taxpayers in the registry replica (as
identity's events would put them), request bodies."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts.filing import SKPIssued, STPIssued
from kit.identifiers import luhn_ok
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


def officer_token(*, scopes: tuple[str, ...] = ("payment:officer",), kind: str = "officer",
                  **claims: Any) -> dict[str, str]:
    """An officer console's client-credentials token, as identity issues them."""
    token = MAKER.make(subject="officer-console", scopes=scopes, client_kind=kind, client_id="officer-console",
                       **claims)
    return {"authorization": f"Bearer {token}"}


def valid_npwp() -> str:
    """An NPWP16 with a valid check digit ('0' + an NPWP15), as the legacy import checks them."""
    head = f"{uuid.uuid4().int % 10**8:08d}"
    check = next(d for d in "0123456789" if luhn_ok(head + d))
    return f"0{head}{check}{uuid.uuid4().int % 10**6:06d}"


def stp_issued(npwp: str, **changes: Any) -> STPIssued:
    """filing's STP for a late SPT Masa PPN (UU KUP Art 7(1))."""
    stp_id = f"stp-{uuid.uuid4().hex[:12]}"
    values: dict[str, Any] = dict(
        stp_id=stp_id, stp_number=f"{uuid.uuid4().int % 10**5:05d}/101/26/001/26", npwp=npwp, reason="late_filing",
        basis="UU KUP Art 7(1)", kap_kjs="411211-300", amount="500000", form="spt_masa_ppn", period="2026-09",
        issued_on=date(2026, 11, 2), due_date=date(2026, 12, 2))
    return STPIssued(**{**values, **changes})


def skp_issued(npwp: str, **changes: Any) -> SKPIssued:
    """filing's SKPKB after an audit of a PPh Badan year."""
    values: dict[str, Any] = dict(
        skp_id=f"skp-{uuid.uuid4().hex[:12]}", skp_number=f"{uuid.uuid4().int % 10**5:05d}/207/25/001/26",
        npwp=npwp, kind="SKPKB", form="spt_tahunan_badan", period="2025", audit_id=f"audit-{uuid.uuid4().hex[:8]}",
        principal="10000000", interest="1800000", increase="0", total="11800000", kap_kjs="411126-310",
        issued_on=date(2026, 11, 16), due_date=None, reasoning="Koreksi peredaran usaha.",
        officer_account_id=str(uuid.uuid4()))
    return SKPIssued(**{**values, **changes})
