"""API models of a signed invoice's lifecycle: cancellation, replacement, Nota Retur, input-tax decision."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from invoice.drafts.schemas import LineIn
from kit.money import MoneyAmount


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
