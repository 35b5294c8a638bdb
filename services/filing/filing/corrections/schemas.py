"""API models of the corrections slice: the history of a return's versions."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from filing.sanctions.schemas import StpRead
from kit.money import MoneyAmount


class VersionReceiptRead(BaseModel):
    number: str
    filed_at: datetime
    late: bool
    billing_code: str | None
    ntpn: str | None
    payment_date: date | None


class VersionRead(BaseModel):
    spt_id: uuid.UUID
    version: int = Field(description="0 Normal, n Pembetulan ke-n")
    version_label: str
    status: Literal["draft", "awaiting_payment", "filed"]
    revision: int
    created_at: datetime
    figures: dict[str, Any] = Field(description="as signed once submitted (the content's figures); a draft's "
                                                "entries before")
    submitted_at: datetime | None
    content_digest: str | None = Field(description="SHA-256 (hex) of the signed content")
    signer_account_id: str | None
    outcome: Literal["kurang_bayar", "lebih_bayar", "nihil"] | None
    amount_payable: MoneyAmount | None
    overpayment: MoneyAmount | None
    previous_spt_id: uuid.UUID | None
    tax_raise: MoneyAmount | None = Field(description="a pembetulan: what it adds to the tax payable")
    shows_overpayment_or_loss: bool | None
    receipt: VersionReceiptRead | None
    stps: list[StpRead]


class ReturnHistoryRead(BaseModel):
    npwp: str
    form: str
    period: str
    versions: list[VersionRead] = Field(description="oldest (the Normal) first")
