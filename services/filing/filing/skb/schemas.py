"""API models of the SKB slice."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from filing.skb.rules import SkbGround, SkbTax
from kit import text as api_text

Reason = api_text.multiline_text(2000, min_length=1)


class SkbApplicationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tax: SkbTax = Field(description="the withholding to be exempt from: pph21, pph22 or pph23")
    ground: SkbGround = Field(description="PER-8/PJ/2025 Art 70 (a)-(d)")
    statement: Reason = Field(description="the applicant's explanation")  # type: ignore[valid-type]


class SkbDecisionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["approve", "reject"]
    reason: Reason | None = Field(default=None, description="required to reject")  # type: ignore[valid-type]


class SkbApplicationRead(BaseModel):
    id: uuid.UUID
    npwp: str
    tax: SkbTax
    ground: SkbGround
    statement: str
    tax_year: int
    status: Literal["submitted", "approved", "rejected"]
    received_on: date
    decision_due: date = Field(description="5 working days after the receipt")
    overdue: bool = Field(description="still undecided after `decision_due` (on the API's day)")
    applied_at: datetime
    decided_at: datetime | None
    rejection_reason: str | None
    number: str | None = Field(description="the SKB's number, once approved")
    valid_from: date | None
    valid_until: date | None


class SkbRead(BaseModel):
    """What a withholder reads: whether the payee is exempt, from which withholding, until when."""

    number: str
    npwp: str
    tax: SkbTax
    tax_year: int
    valid_from: date
    valid_until: date
    valid_today: bool = Field(description="valid on the API's day (WIB)")
