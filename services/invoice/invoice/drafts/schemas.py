"""API models of invoices: drafts in, invoices out (every slice answers with `InvoiceRead`)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from invoice.lifecycle.rules import warnings_of
from kit.money import MoneyAmount
from kit.text import multiline_text, organisation_name, text


class BuyerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    document: text(32) = Field("TIN", description="TIN | National ID | Passport | Other ID")
    tin: text(32) | None = Field(None, description="NPWP16 when document is TIN")
    document_number: text(64) | None = None
    country: text(8) | None = Field(None, description="ISO alpha-3 from DJP's list; IDN by default for TIN/NIK")
    name: organisation_name(200) | None = None
    address: multiline_text(500) | None = None
    email: text(200) | None = None
    nitku: text(32) | None = Field(None, description="22 digits; the head office (NPWP+000000) by default")


class LineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    opt: Literal["A", "B"] = "A"
    code: text(16) = "000000"
    name: multiline_text(500, min_length=1)
    unit: text(16) = Field(description="UM.0001..UM.0039")
    price: Decimal = Field(max_digits=18, decimal_places=2, description="unit price before discount, excl. PPN")
    qty: Decimal = Field(max_digits=18, decimal_places=2)
    discount: Decimal = Field(Decimal(0), max_digits=18, decimal_places=2, description="total for the line")
    stlg_rate: Decimal = Field(Decimal(0), ge=0, le=200, description="PPnBM rate (luxury goods), percent")


class InvoiceBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    invoice_date: date
    trx_code: text(8) = Field(description="01..10")
    add_info: text(100) | None = None
    facility_stamp: text(100) | None = None
    custom_doc: text(100) | None = None
    custom_doc_month_year: text(8) | None = None
    reference: text(200) | None = Field(None, description="your invoice number (RefDesc)")
    seller_nitku: text(32) | None = None
    dpp_nilai_lain: bool | None = Field(None, description="override the DPP nilai lain 11/12 default of the code")
    buyer: BuyerIn
    lines: list[LineIn] = Field(min_length=1, max_length=2000)


class InvoiceCreate(InvoiceBody):
    seller_npwp: str = Field(pattern=r"^[0-9]{16}$")


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
