from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from kit.money import MoneyAmount

Amount = Decimal


class BuyerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    document: str = Field("TIN", description="TIN | National ID | Passport | Other ID")
    tin: str | None = Field(None, description="NPWP16 when document is TIN")
    document_number: str | None = None
    country: str | None = Field(None, description="ISO alpha-3 from DJP's list; IDN by default for TIN/NIK")
    name: str | None = None
    address: str | None = None
    email: str | None = None
    nitku: str | None = Field(None, description="22 digits; the head office (NPWP+000000) by default")


class LineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    opt: Literal["A", "B"] = "A"
    code: str = "000000"
    name: str = Field(min_length=1, max_length=500)
    unit: str = Field(description="UM.0001..UM.0039")
    price: Decimal = Field(max_digits=18, decimal_places=2, description="unit price before discount, excl. PPN")
    qty: Decimal = Field(max_digits=18, decimal_places=2)
    discount: Decimal = Field(Decimal(0), max_digits=18, decimal_places=2, description="total for the line")
    stlg_rate: Decimal = Field(Decimal(0), ge=0, le=200, description="PPnBM rate (luxury goods), percent")


class InvoiceBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    invoice_date: date
    trx_code: str = Field(description="01..10")
    add_info: str | None = None
    facility_stamp: str | None = None
    custom_doc: str | None = None
    custom_doc_month_year: str | None = None
    reference: str | None = Field(None, max_length=200, description="your invoice number (RefDesc)")
    seller_nitku: str | None = None
    dpp_nilai_lain: bool | None = Field(None, description="override the DPP nilai lain 11/12 default of the code")
    buyer: BuyerIn
    lines: list[LineIn] = Field(min_length=1, max_length=2000)


class InvoiceCreate(InvoiceBody):
    seller_npwp: str = Field(pattern=r"^\d{16}$")


class LineRead(BaseModel):
    line_no: int
    opt: str
    code: str
    name: str
    unit: str
    price: MoneyAmount
    qty: MoneyAmount
    discount: MoneyAmount
    tax_base: MoneyAmount
    other_tax_base: MoneyAmount
    vat_rate: MoneyAmount
    vat: MoneyAmount
    stlg_rate: MoneyAmount
    stlg: MoneyAmount


class InvoiceRead(BaseModel):
    id: uuid.UUID
    status: str
    nsfp: str | None
    seller_npwp: str
    seller_nitku: str
    invoice_date: date
    period: str
    trx_code: str
    add_info: str | None
    facility_stamp: str | None
    custom_doc: str | None
    custom_doc_month_year: str | None
    reference: str | None
    buyer: dict[str, Any]
    dpp: MoneyAmount
    dpp_other: MoneyAmount
    ppn: MoneyAmount
    ppnbm: MoneyAmount
    currency: str = "IDR"
    upload_id: uuid.UUID | None
    signed_at: datetime | None
    certificate_serial: str | None
    signature: str | None
    created_at: datetime
    updated_at: datetime
    status_code: int = Field(0, description="NSFP status: 0 normal, 1.. the nth replacement")
    replaces_id: uuid.UUID | None = None
    replaced_by: uuid.UUID | None = None
    cancelled_at: datetime | None = None
    input_tax_action: str | None = None
    input_tax_period: str | None = None
    late: bool = Field(False, description="signed after the upload deadline (20th of the next month, §3.6)")
    warnings: list[dict[str, Any]] = Field(default_factory=list, description="e.g. invoice.late_upload")
    lines: list[LineRead] | None = None

    @classmethod
    def of(cls, row: dict[str, Any], *, with_lines: bool = True) -> InvoiceRead:
        from invoice.lifecycle import warnings_of
        buyer = {k.removeprefix("buyer_"): row[k] for k in row if k.startswith("buyer_")}
        warnings = warnings_of(row)
        return cls(**{k: row[k] for k in cls.model_fields if k in row and k not in ("buyer", "lines", "warnings",
                                                                                   "late")},
                   reference=row["ref_desc"], buyer=buyer, warnings=warnings,
                   late=row.get("signed_at") is not None and bool(warnings),
                   lines=[LineRead(**line) for line in row["lines"]] if with_lines and "lines" in row else None)


class InvoicePage(BaseModel):
    items: list[InvoiceRead]
    next_cursor: str | None


class UploadAccepted(BaseModel):
    upload_id: uuid.UUID
    state: str


class UploadResult(BaseModel):
    position: int
    ref_desc: str | None
    invoice_id: uuid.UUID | None
    errors: list[dict[str, Any]]
    warnings: list[dict[str, Any]]


class UploadRead(BaseModel):
    id: uuid.UUID
    state: str
    seller_npwp: str
    filename: str | None
    size_bytes: int
    total: int | None
    accepted: int | None
    failed: int | None
    error: dict[str, Any] | None
    created_at: datetime
    completed_at: datetime | None
    callback_url: str | None = None
    results: list[UploadResult]


class SigningJobCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    seller_npwp: str | None = Field(None, pattern=r"^\d{16}$")
    invoice_ids: list[uuid.UUID] | None = Field(None, max_length=100_000)
    upload_id: uuid.UUID | None = None
    period: str | None = Field(None, pattern=r"^\d{4}-\d{2}$")
    credential_id: uuid.UUID
    passphrase: SecretStr = Field(min_length=1, max_length=256)
    callback_url: str | None = Field(None, max_length=2000)  # http(s): POSTed a signed summary when the job ends


class SigningJobItem(BaseModel):
    invoice_id: uuid.UUID
    state: str
    nsfp: str | None
    error: dict[str, Any] | None


class SigningJobRead(BaseModel):
    id: uuid.UUID
    state: str
    seller_npwp: str
    total: int
    signed: int
    failed: int
    pending: int
    created_at: datetime
    completed_at: datetime | None
    callback_url: str | None = None
    items: list[SigningJobItem]


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


class CancellationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=1000, description="why (transaction cancelled, wrong buyer, ...)")
    proof: str | None = Field(None, max_length=1000, description="the proof's reference, e.g. the cancelled contract")


class ReplacementCreate(BaseModel):
    """What changes; everything else is the replaced invoice's. The date is the replacement's (today); the buyer's
    identity (document, NPWP/ID, country, NITKU) may not change (cancel and issue a new invoice instead)."""

    model_config = ConfigDict(extra="forbid")
    trx_code: str | None = None
    add_info: str | None = None
    facility_stamp: str | None = None
    custom_doc: str | None = None
    custom_doc_month_year: str | None = None
    seller_nitku: str | None = None
    dpp_nilai_lain: bool | None = None
    buyer: dict[str, Any] | None = None
    lines: list[LineIn] | None = Field(None, min_length=1, max_length=2000)


class ReturnLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    line_no: int = Field(ge=1)
    qty: Decimal = Field(max_digits=18, decimal_places=2)


class ReturnCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: str | None = Field(None, max_length=100, description="the buyer's Nota Retur number")
    return_date: date | None = Field(None, description="today by default")
    lines: list[ReturnLineIn] = Field(max_length=2000)


class ReturnLineRead(BaseModel):
    line_no: int
    qty: MoneyAmount
    tax_base: MoneyAmount
    other_tax_base: MoneyAmount
    vat: MoneyAmount
    stlg: MoneyAmount


class ReturnRead(BaseModel):
    id: uuid.UUID
    invoice_id: uuid.UUID
    number: str | None
    return_date: date
    period: str
    dpp: MoneyAmount
    dpp_other: MoneyAmount
    ppn: MoneyAmount
    ppnbm: MoneyAmount
    lines: list[ReturnLineRead]


class InputTaxCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Literal["credit", "reject"]
    period: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="the buyer's tax period, YYYY-MM")
