"""Events published by the invoice service on `invoice.events`, keyed by the seller's NPWP."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

from pydantic import Field

from contracts.registry import Contract, register

TOPIC = "invoice.events"

_AMOUNT = r"^-?\d+(\.\d+)?$"


@register
class InvoiceSigned(Contract):
    """An e-Faktur is legally issued: signed by the seller's signer, approved and numbered (NSFP). The facts the
    PPN ledgers need: output tax for the seller, input tax for the buyer (when the buyer has a TIN)."""

    type: ClassVar[str] = "InvoiceSigned"
    version: ClassVar[int] = 1
    source: ClassVar[str] = "invoice"

    invoice_id: str
    nsfp: str = Field(pattern=r"^\d{17}$", description="transaction code, status code, 13-digit serial")
    seller_npwp: str = Field(pattern=r"^\d{16}$")
    seller_nitku: str = Field(pattern=r"^\d{22}$")
    buyer_npwp: str | None = Field(default=None, pattern=r"^\d{16}$",
                                   description="absent when the buyer has no TIN (NIK, passport, other ID)")
    buyer_document: str
    invoice_date: date
    period: str = Field(pattern=r"^\d{4}-\d{2}$", description="tax period of the invoice date, YYYY-MM")
    transaction_code: str = Field(pattern=r"^(0[1-9]|10)$")
    reference: str | None = None
    dpp: str = Field(pattern=_AMOUNT, description="DPP, whole rupiah")
    dpp_other: str = Field(pattern=_AMOUNT, description="DPP nilai lain, whole rupiah")
    ppn: str = Field(pattern=_AMOUNT, description="PPN, whole rupiah")
    ppnbm: str = Field(pattern=_AMOUNT, description="PPnBM, whole rupiah")
    signed_at: datetime
    signer_account_id: str | None = None
    certificate_serial: str
