"""API models of the bank-facing confirmations slice (MPN-style inquiry and payment)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictInt, StrictStr

from kit.text import text
from payment.billing.amount import amount_text
from payment.billing.kap_kjs import rule_for
from payment.billing.schemas import AMOUNT_DESCRIPTION, ItemProblem
from payment.billing.validity import status_at
from payment.models import Billing, Payment


class BillingInquiry(BaseModel):
    """What a bank shows before taking the money."""

    billing_code: str
    npwp: str
    taxpayer_name: str | None = Field(description="from the taxpayer registry; null until it is known here")
    kap_kjs: str
    kap_name: str
    kjs_name: str
    period: str | None
    assessment_number: str | None
    amount: str
    status: Literal["active", "paid", "expired"] = Field(description="only an active code can be paid")
    expires_at: datetime

    @classmethod
    def of(cls, billing: Billing, name: str | None, now: datetime) -> BillingInquiry:
        rule = rule_for(billing.kap_kjs)
        return cls(billing_code=billing.code, npwp=billing.npwp, taxpayer_name=name, kap_kjs=billing.kap_kjs,
                   kap_name=rule.kap_name, kjs_name=rule.kjs_name, period=billing.period,
                   assessment_number=billing.assessment_number, amount=amount_text(billing.amount),
                   status=status_at(billing.status, billing.expires_at, now),  # type: ignore[arg-type]
                   expires_at=billing.expires_at)


class PaymentConfirm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    billing_code: text(32)
    amount: StrictStr | StrictInt = Field(description=AMOUNT_DESCRIPTION + "; must equal the code's amount")
    bank_reference: str = Field(min_length=1, max_length=64, pattern=r"^[\x21-\x7e]+$",
                                description="the bank's own reference of this payment; a retry sends the same one")
    paid_at: AwareDatetime = Field(description="when the bank took the payment (the legal payment date)")


class PaymentBatch(BaseModel):
    """A bank's host-to-host file of confirmations: each one as `POST /v1/bank/payments` takes it."""

    model_config = ConfigDict(extra="forbid")

    payments: list[PaymentConfirm] = Field(min_length=1, max_length=1000)


class PaymentBatchItem(BaseModel):
    status: int = Field(description="201: a new payment (NTPN); 200: this confirmation was answered before, the same "
                                    "receipt; 4xx: refused (`error`), nothing changed for this item")
    receipt: PaymentReceipt | None = None
    error: ItemProblem | None = None


class PaymentBatchResult(BaseModel):
    results: list[PaymentBatchItem] = Field(description="one per confirmation, in the order sent")
    confirmed: int = Field(description="new payments")
    answered_before: int
    refused: int


class PaymentReceipt(BaseModel):
    payment_id: uuid.UUID
    ntpn: str = Field(description="Nomor Transaksi Penerimaan Negara: 16 characters, one per payment")
    billing_code: str
    npwp: str
    kap_kjs: str
    period: str | None
    assessment_number: str | None
    amount: str
    bank_reference: str
    paid_at: datetime
    confirmed_at: datetime

    @classmethod
    def of(cls, payment: Payment, billing: Billing) -> PaymentReceipt:
        return cls(payment_id=payment.id, ntpn=payment.ntpn, billing_code=payment.billing_code, npwp=payment.npwp,
                   kap_kjs=billing.kap_kjs, period=billing.period, assessment_number=billing.assessment_number,
                   amount=amount_text(payment.amount), bank_reference=payment.bank_reference,
                   paid_at=payment.paid_at, confirmed_at=payment.confirmed_at)


class PaymentVerification(BaseModel):
    """The public check of a BPN (its QR code): the payment exists, for what and how much; the NPWP masked."""

    ntpn: str
    valid: bool = Field(description="a payment with this NTPN was received by the state")
    npwp_masked: str
    kap_kjs: str
    kap_name: str
    kjs_name: str
    period: str | None
    amount: str
    paid_at: datetime
    bank: str

    @classmethod
    def of(cls, payment: Payment, billing: Billing, npwp_masked: str) -> PaymentVerification:
        rule = rule_for(billing.kap_kjs)
        return cls(ntpn=payment.ntpn, valid=True, npwp_masked=npwp_masked, kap_kjs=billing.kap_kjs,
                   kap_name=rule.kap_name, kjs_name=rule.kjs_name, period=billing.period,
                   amount=amount_text(payment.amount), paid_at=payment.paid_at, bank=payment.bank_id)
