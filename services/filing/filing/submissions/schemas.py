"""API models of the submissions slice. Amounts are strings in JSON (kit.money.MoneyAmount)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from filing.returns.spt_masa_ppn import Outcome
from filing.sanctions.schemas import StpRead
from kit.money import MoneyAmount
from kit.text import secret


class SubmissionCreate(BaseModel):
    """Sign and submit the open version of the return. The passphrase opens the signer's credential at identity for
    this one call; filing never stores it."""

    model_config = ConfigDict(extra="forbid")

    credential_id: uuid.UUID = Field(description="the signer's Kode Otorisasi or electronic certificate")
    passphrase: secret(256)
    revision: int | None = Field(None, ge=0, description="the draft's `revision` the taxpayer reviewed (0 when no "
                                                          "draft was started): refused with `return.changed` if the "
                                                          "draft changed since")


class PaymentRead(BaseModel):
    kap_kjs: str = Field(description="411211-100 (PPN) or 411221-100 (PPnBM)")
    amount: MoneyAmount
    status: Literal["requested", "paid", "expired"]
    payment_due_date: date = Field(description="effective due date of the payment; paying later bears interest")
    requested_at: datetime
    billing_code: str | None
    ntpn: str | None
    paid_at: datetime | None


class ReceiptRead(BaseModel):
    """The bukti penerimaan elektronik (BPE) of a filed return."""

    number: str
    spt_id: uuid.UUID
    npwp: str
    form: str
    period: str
    spt_version: int
    version_label: str
    filed_at: datetime = Field(description="when the return counts as filed (for Bayar dan Lapor: the payment time)")
    issued_at: datetime
    content_digest: str = Field(description="SHA-256 (hex) of the signed content")
    due_date: date
    late: bool
    billing_code: str | None
    ntpn: str | None
    payment_date: date | None
    verification_url: str


class SubmissionRead(BaseModel):
    spt_id: uuid.UUID
    npwp: str
    form: str
    period: str
    spt_version: int
    version_label: str
    status: Literal["awaiting_payment", "filed"]
    revision: int
    submitted_at: datetime
    content_digest: str
    signer_account_id: str | None
    certificate_serial: str
    outcome: Outcome
    amount_payable: MoneyAmount
    overpayment: MoneyAmount
    due_date: date = Field(description="effective filing due date")
    payments: list[PaymentRead] = Field(description="what the return waits for (kurang bayar, PPnBM); empty when "
                                                    "it filed at once")
    receipt: ReceiptRead | None = Field(description="set once filed")
    stps: list[StpRead] = Field(description="sanctions issued on this return (a late filing's Art 7(1) fine)")


class ReceiptVerificationRead(BaseModel):
    """What anyone holding a receipt may confirm, and nothing more."""

    number: str
    npwp_masked: str
    form: str
    period: str
    filed_at: datetime
    content_digest: str
    valid: bool = Field(description="the stored content hashes to this digest and the signature over it verifies")
    reason: str
