"""API models of the billing slice. Amounts are whole rupiah written as digit strings."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from kit.text import text
from payment.billing.amount import amount_text
from payment.billing.kap_kjs import rule_for
from payment.billing.validity import status_at
from payment.models import Billing, Payment

if TYPE_CHECKING:
    from payment.billing.issuance import IssuedCode

AMOUNT_DESCRIPTION = "whole rupiah, as a string of digits (\"1500000\") or an integer; never a float"


class BillingCreate(BaseModel):
    """A self-assessed (mandiri) billing code. A code linked to an SPT is never made here: it comes from submitting
    the SPT at filing (tax-rules §4.1), so `spt_id` and other unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")

    npwp: str | None = Field(default=None, pattern=r"^[0-9]{16}$",
                             description="the taxpayer paying; default: the token's only taxpayer")
    kap_kjs: text(20) = Field(examples=["411121-100"], description="tax account and deposit type (tax-rules §4.3)")
    period: text(20) | None = Field(default=None, description="YYYY-MM or YYYY, when the KAP-KJS takes a period")
    assessment_number: text(100) | None = Field(default=None,
                                                description="the STP/SKP number, when the KAP-KJS pays one")
    amount: StrictStr | StrictInt = Field(description=AMOUNT_DESCRIPTION, examples=["1500000"])
    # PPh PHTB (411128-402) only, and then all three: the transfer the payment is for (PP 34/2016).
    nop: text(32) | None = Field(default=None, examples=["31.71.010.001.002-0123.0"],
                                 description="PPh PHTB: the property's NOP (18 digits; dots and dash allowed)")
    transfer_value: StrictStr | StrictInt | None = Field(default=None,
                                                         description="PPh PHTB: the gross transfer value, "
                                                                     "whole rupiah")
    buyer_id: str | None = Field(default=None, pattern=r"^[0-9]{16}$",
                                 description="PPh PHTB: the buyer's NPWP16 or NIK")


class BillingPage(BaseModel):
    npwp: str
    items: list[BillingRead]
    next_cursor: str | None


class BillingRead(BaseModel):
    id: uuid.UUID
    code: str = Field(description="15 digits; give it to the bank, teller or e-banking")
    npwp: str
    kap_kjs: str
    kap_name: str
    kjs_name: str
    period: str | None
    assessment_number: str | None
    amount: str
    origin: Literal["mandiri", "spt", "bill"]
    spt_id: str | None
    debt_id: uuid.UUID | None = Field(default=None, description="the debt a code from a bill pays")
    instalment_number: int | None = Field(default=None, description="the instalment of the debt it pays")
    status: Literal["active", "paid", "expired"]
    created_at: datetime
    expires_at: datetime
    paid_at: datetime | None = None
    ntpn: str | None = Field(default=None, description="once paid: the state's receipt number")
    nop: str | None = Field(default=None, description="PPh PHTB: the property's NOP")
    transfer_value: str | None = Field(default=None, description="PPh PHTB: the gross transfer value")
    buyer_id: str | None = Field(default=None, description="PPh PHTB: the buyer's NPWP16 or NIK")

    @classmethod
    def of(cls, billing: Billing | IssuedCode, payment: Payment | None, now: datetime) -> BillingRead:
        rule = rule_for(billing.kap_kjs)
        return cls(id=billing.id, code=billing.code, npwp=billing.npwp, kap_kjs=billing.kap_kjs,
                   kap_name=rule.kap_name, kjs_name=rule.kjs_name, period=billing.period,
                   assessment_number=billing.assessment_number, amount=amount_text(billing.amount),
                   origin=billing.origin,  # type: ignore[arg-type]
                   spt_id=billing.spt_id, debt_id=billing.debt_id, instalment_number=billing.instalment_number,
                   status=status_at(billing.status, billing.expires_at, now),  # type: ignore[arg-type]
                   created_at=billing.created_at, expires_at=billing.expires_at,
                   paid_at=payment.paid_at if payment else None, ntpn=payment.ntpn if payment else None,
                   nop=billing.nop, buyer_id=billing.buyer_id,
                   transfer_value=amount_text(billing.transfer_value) if billing.transfer_value is not None
                   else None)


class BillingBatch(BaseModel):
    """A PJAP's batch of mandiri codes, each item as `POST /v1/billing-codes` takes it (no STP/SKP number)."""

    model_config = ConfigDict(extra="forbid")

    items: list[BillingCreate] = Field(min_length=1, max_length=1000)


class ItemProblem(BaseModel):
    """Why one item of a batch was refused: the problem+json the single call would answer, without its envelope."""

    code: str = Field(description="stable machine-readable error code")
    title: str
    detail: str
    details: dict[str, object] | None = None


class BillingBatchItem(BaseModel):
    status: int = Field(description="201: made (`billing`); 4xx: refused (`error`), nothing made for this item")
    billing: BillingRead | None = None
    error: ItemProblem | None = None


class BillingBatchResult(BaseModel):
    results: list[BillingBatchItem] = Field(description="one per item, in the order sent")
    created: int
    refused: int
