"""API models of the PPh PHTB validation slice. Amounts are whole rupiah as strings."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from kit.text import text
from payment.billing.amount import amount_text
from payment.models import LandOfficeSubscription, PHTBValidation
from payment.phtb.rules import format_nop

_ID16 = r"^[0-9]{16}$"


class ValidationCreate(BaseModel):
    """What the seller, or the notary (PPAT) for them, asks to have validated."""

    model_config = ConfigDict(extra="forbid")

    seller_npwp: str | None = Field(default=None, pattern=_ID16,
                                    description="the seller (who paid); default: the token's only taxpayer; "
                                                "required for a notary's client")
    buyer_id: str = Field(pattern=_ID16, description="the buyer's NPWP16 or NIK")
    nop: text(32) = Field(examples=["31.71.010.001.002-0123.0"], description="the property's NOP (18 digits)")
    gross_value: StrictStr | StrictInt = Field(description="the gross transfer value, whole rupiah",
                                               examples=["2000000000"])
    category: text(40) = Field(default="general", description="general (2.5%), simple_house_by_developer (1%) or "
                                                               "government_public_purpose (0%), PP 34/2016 Art 2")
    ntpn: str | None = Field(default=None, max_length=32,
                             description="the payment's NTPN (its BPN); absent only for a 0% transfer")


class ReasonRead(BaseModel):
    code: str
    message: str
    expected: str | None = None
    found: str | None = None


class ValidationRead(BaseModel):
    id: uuid.UUID
    status: Literal["pending", "validated", "rejected"] = Field(
        description="validated: the letter exists; pending: with an officer for `reasons`; rejected by the officer")
    number: str | None = Field(description="Surat Keterangan Validasi number, once validated")
    nop: str
    nop_formatted: str
    seller_npwp: str
    buyer_id: str
    gross_value: str
    category: str
    rate_percent: str
    tax_amount: str
    ntpn: str | None
    billing_code: str | None
    reasons: list[ReasonRead] = Field(description="why an officer has to decide (empty when the rules validated it)")
    requester_kind: Literal["taxpayer", "ppat"]
    requested_at: datetime
    decided_by: Literal["rules", "officer"] | None
    decided_at: datetime | None
    decision_note: str | None
    letter_path: str | None = Field(description="the letter's PDF (GET, with a token), once validated")
    verification_url: str | None = Field(description="its public verification (the letter's QR code)")

    @classmethod
    def of(cls, v: PHTBValidation, public_url: str) -> ValidationRead:
        validated = v.status == "validated"
        return cls(id=v.id, status=v.status, number=v.number, nop=v.nop,  # type: ignore[arg-type]
                   nop_formatted=format_nop(v.nop), seller_npwp=v.seller_npwp, buyer_id=v.buyer_id,
                   gross_value=amount_text(v.gross_value), category=v.category,
                   rate_percent=percent_text(v.rate_percent), tax_amount=amount_text(v.tax_amount), ntpn=v.ntpn,
                   billing_code=v.billing_code, reasons=[ReasonRead(**r) for r in v.reasons],  # type: ignore[arg-type]
                   requester_kind=v.requester_kind, requested_at=v.requested_at,  # type: ignore[arg-type]
                   decided_by=v.decided_by, decided_at=v.decided_at,  # type: ignore[arg-type]
                   decision_note=v.decision_note,
                   letter_path=f"/v1/phtb/validations/{v.id}/letter" if validated else None,
                   verification_url=verification_url(public_url, v.id) if validated else None)


class ValidationPage(BaseModel):
    items: list[ValidationRead]
    next_cursor: str | None


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: text(2000) | None = Field(default=None, description="why; required to reject")


class SubscriptionPut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(max_length=2000, description="https URL receiving each new validation (signed POST)")
    nop_prefixes: list[str] = Field(default=[], max_length=200,
                                    description="only NOPs starting with one of these (province 2 digits, regency 4);"
                                                " empty: every NOP")


class SubscriptionRead(BaseModel):
    client_id: str
    url: str
    nop_prefixes: list[str]
    updated_at: datetime

    @classmethod
    def of(cls, s: LandOfficeSubscription) -> SubscriptionRead:
        return cls(client_id=s.client_id, url=s.url, nop_prefixes=s.nop_prefixes, updated_at=s.updated_at)


class WebhookSecretRead(BaseModel):
    client_id: str
    algorithm: str
    key: str


class ValidationVerification(BaseModel):
    """The public check behind a letter's QR code: no names, the identifiers masked."""

    valid: bool
    number: str
    nop_formatted: str
    seller_npwp_masked: str
    buyer_id_masked: str
    tax_amount: str
    ntpn: str | None
    validated_at: datetime


def percent_text(value: Decimal) -> str:
    return f"{value.normalize():f}"


def verification_url(public_url: str, validation_id: uuid.UUID) -> str:
    return f"{public_url.rstrip('/')}/v1/public/phtb-validations/{validation_id}/verification"
