"""Events published by the invoice service on `invoice.events`, keyed by the seller's NPWP."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

from pydantic import Field

from contracts.registry import Contract, register

TOPIC = "invoice.events"

_AMOUNT = r"^-?[0-9]+(\.[0-9]+)?$"


@register
class InvoiceSigned(Contract):
    """An e-Faktur is legally issued: signed by the seller's signer, approved and numbered (NSFP). The facts the
    PPN ledgers need: output tax for the seller, input tax for the buyer (when the buyer has a TIN)."""

    type: ClassVar[str] = "InvoiceSigned"
    version: ClassVar[int] = 1
    source: ClassVar[str] = "invoice"

    invoice_id: str
    nsfp: str = Field(pattern=r"^[0-9]{17}$", description="transaction code, status code, 13-digit serial")
    seller_npwp: str = Field(pattern=r"^[0-9]{16}$")
    seller_nitku: str = Field(pattern=r"^[0-9]{22}$")
    buyer_npwp: str | None = Field(default=None, pattern=r"^[0-9]{16}$",
                                   description="absent when the buyer has no TIN (NIK, passport, other ID)")
    buyer_document: str
    invoice_date: date
    period: str = Field(pattern=r"^[0-9]{4}-[0-9]{2}$", description="tax period of the invoice date, YYYY-MM")
    transaction_code: str = Field(pattern=r"^(0[1-9]|10)$")
    reference: str | None = None
    dpp: str = Field(pattern=_AMOUNT, description="DPP, whole rupiah")
    dpp_other: str = Field(pattern=_AMOUNT, description="DPP nilai lain, whole rupiah")
    ppn: str = Field(pattern=_AMOUNT, description="PPN, whole rupiah")
    ppnbm: str = Field(pattern=_AMOUNT, description="PPnBM, whole rupiah")
    signed_at: datetime
    signer_account_id: str | None = None
    certificate_serial: str
    late: bool = Field(default=False, description="signed (approved) after its upload deadline, the 20th of the month "
                                                  "after the invoice date (PER-11 Art 44): made late, UU KUP Art 14(4)")


@register
class InvoiceCancelled(Contract):
    """A signed e-Faktur is cancelled by its seller (PER-11 Art 49): its output and input tax no longer count.
    Keyed by the seller NPWP."""

    type: ClassVar[str] = "InvoiceCancelled"
    version: ClassVar[int] = 1
    source: ClassVar[str] = "invoice"

    invoice_id: str
    nsfp: str = Field(pattern=r"^[0-9]{17}$")
    seller_npwp: str = Field(pattern=r"^[0-9]{16}$")
    buyer_npwp: str | None = Field(default=None, pattern=r"^[0-9]{16}$")
    invoice_date: date
    period: str = Field(pattern=r"^[0-9]{4}-[0-9]{2}$", description="tax period of the cancelled invoice")
    dpp: str = Field(pattern=_AMOUNT)
    ppn: str = Field(pattern=_AMOUNT)
    ppnbm: str = Field(pattern=_AMOUNT)
    reason: str
    cancelled_at: datetime


@register
class InvoiceReplaced(Contract):
    """A signed e-Faktur is replaced (faktur pengganti, PER-11 Art 48): the replacement keeps the 13-digit serial
    with the status code + 1 and its own InvoiceSigned is published too; the replaced invoice's amounts are
    superseded by the replacement's. Keyed by the seller NPWP."""

    type: ClassVar[str] = "InvoiceReplaced"
    version: ClassVar[int] = 1
    source: ClassVar[str] = "invoice"

    invoice_id: str = Field(description="the replaced (superseded) invoice")
    nsfp: str = Field(pattern=r"^[0-9]{17}$", description="NSFP of the replaced invoice")
    replacement_invoice_id: str
    replacement_nsfp: str = Field(pattern=r"^[0-9]{17}$")
    status_code: int = Field(ge=1, le=99, description="status code of the replacement")
    seller_npwp: str = Field(pattern=r"^[0-9]{16}$")
    buyer_npwp: str | None = Field(default=None, pattern=r"^[0-9]{16}$")
    period: str = Field(pattern=r"^[0-9]{4}-[0-9]{2}$", description="tax period of the replaced invoice")
    replacement_period: str = Field(pattern=r"^[0-9]{4}-[0-9]{2}$")
    dpp: str = Field(pattern=_AMOUNT, description="replaced invoice's DPP")
    ppn: str = Field(pattern=_AMOUNT)
    ppnbm: str = Field(pattern=_AMOUNT)
    replacement_dpp: str = Field(pattern=_AMOUNT)
    replacement_ppn: str = Field(pattern=_AMOUNT)
    replacement_ppnbm: str = Field(pattern=_AMOUNT)
    replaced_at: datetime


@register
class ReturnIssued(Contract):
    """The buyer issued a Nota Retur against a signed invoice (PMK-81/2024 Art 288): the seller reduces output tax
    and the buyer input tax in the return's period. Keyed by the buyer NPWP."""

    type: ClassVar[str] = "ReturnIssued"
    version: ClassVar[int] = 1
    source: ClassVar[str] = "invoice"

    return_id: str
    number: str | None = None
    invoice_id: str
    nsfp: str = Field(pattern=r"^[0-9]{17}$")
    seller_npwp: str = Field(pattern=r"^[0-9]{16}$")
    buyer_npwp: str = Field(pattern=r"^[0-9]{16}$")
    return_date: date
    period: str = Field(pattern=r"^[0-9]{4}-[0-9]{2}$", description="tax period of the return")
    dpp: str = Field(pattern=_AMOUNT)
    dpp_other: str = Field(pattern=_AMOUNT)
    ppn: str = Field(pattern=_AMOUNT)
    ppnbm: str = Field(pattern=_AMOUNT)


@register
class InputTaxCredited(Contract):
    """The buyer's decision on a signed invoice's input tax: `credit` in a period within the crediting window
    (UU PPN Art 9(9): the invoice's period up to 3 periods after), or `reject`. Keyed by the buyer NPWP."""

    type: ClassVar[str] = "InputTaxCredited"
    version: ClassVar[int] = 1
    source: ClassVar[str] = "invoice"

    invoice_id: str
    nsfp: str = Field(pattern=r"^[0-9]{17}$")
    seller_npwp: str = Field(pattern=r"^[0-9]{16}$")
    buyer_npwp: str = Field(pattern=r"^[0-9]{16}$")
    action: str = Field(pattern=r"^(credit|reject)$")
    period: str = Field(pattern=r"^[0-9]{4}-[0-9]{2}$", description="the buyer's tax period of the decision")
    invoice_period: str = Field(pattern=r"^[0-9]{4}-[0-9]{2}$")
    ppn: str = Field(pattern=_AMOUNT)
    ppnbm: str = Field(pattern=_AMOUNT)
    decided_at: datetime
