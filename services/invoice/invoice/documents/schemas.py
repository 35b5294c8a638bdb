"""API models of the faktur as a document: its public verification."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from kit.money import MoneyAmount


class VerificationParty(BaseModel):
    npwp: str | None = None
    nitku: str | None = None
    name: str | None = None
    document: str | None = None
    id_masked: str | None = Field(None, description="the buyer's identifier, all but the last 4 digits masked")


class SignatureStatus(BaseModel):
    valid: bool
    reason: str
    algorithm: str
    certificate_serial: str | None
    signer: str | None
    signed_at: datetime | None


class VerificationRead(BaseModel):
    """What the QR code on a faktur confirms, to anyone."""

    nsfp: str
    status: str
    invoice_date: date
    transaction_code: str
    seller: VerificationParty
    buyer: VerificationParty
    dpp: MoneyAmount
    ppn: MoneyAmount
    ppnbm: MoneyAmount
    signature: SignatureStatus
