"""API models of invoices: drafts in, invoices out (every slice answers with `InvoiceRead`)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from invoice.lifecycle.rules import warnings_of
from kit.money import MoneyAmount


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
