"""API models of a signed invoice's lifecycle: cancellation, replacement, Nota Retur, input-tax decision."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from invoice.drafts.schemas import LineIn
from kit.money import MoneyAmount
from kit.text import multiline_text, organisation_name, text


class CancellationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: multiline_text(1000, min_length=1) = Field(description="why (transaction cancelled, wrong buyer, ...)")
    proof: text(1000) | None = Field(None, description="the proof's reference, e.g. the cancelled contract")


class BuyerChange(BaseModel):
    """The buyer fields a replacement changes (those sent); its identity fields must stay what they were."""

    model_config = ConfigDict(extra="forbid")
    document: text(32) | None = None
    tin: text(32) | None = None
    document_number: text(64) | None = None
    country: text(8) | None = None
    name: organisation_name(200) | None = None
    address: multiline_text(500) | None = None
    email: text(200) | None = None
    nitku: text(32) | None = None


class ReplacementCreate(BaseModel):
    """What changes; everything else is the replaced invoice's. The date is the replacement's (today); the buyer's
    identity (document, NPWP/ID, country, NITKU) may not change (cancel and issue a new invoice instead)."""

    model_config = ConfigDict(extra="forbid")
    trx_code: text(8) | None = None
    add_info: text(100) | None = None
    facility_stamp: text(100) | None = None
    custom_doc: text(100) | None = None
    custom_doc_month_year: text(8) | None = None
    seller_nitku: text(32) | None = None
    dpp_nilai_lain: bool | None = None
    buyer: BuyerChange | None = None
    lines: list[LineIn] | None = Field(None, min_length=1, max_length=2000)


class ReturnLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    line_no: int = Field(ge=1)
    qty: Decimal = Field(max_digits=18, decimal_places=2)


class ReturnCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: text(100) | None = Field(None, description="the buyer's Nota Retur number")
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
    period: str = Field(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$", description="the buyer's tax period, YYYY-MM")
