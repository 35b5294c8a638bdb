"""API models of taxpayers: the person's view of themselves, the profile, contacts, bank accounts, PKP history,
roles, and the minimal internal taxpayer records."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts.identity import TaxpayerKind
from identity.contacts import Email, Phone
from identity.roles import ROLES
from kit.errors import ValidationFailed
from kit.text import multiline_text, organisation_name, text


class ActingFor(BaseModel):
    taxpayer_id: uuid.UUID
    npwp: str
    nitku: str
    name: str
    kind: str
    is_pkp: bool
    roles: list[str] = Field(description="'self' for the person's own taxpayer, else granted roles")


class MeRead(BaseModel):
    account_id: uuid.UUID
    person_id: uuid.UUID
    full_name: str
    identity_number: str
    nik: str | None
    passport_number: str | None
    passport_country: str | None
    email: str
    phone: str
    locale: str
    taxpayers: list[ActingFor]


class ProfileRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    npwp: str
    nitku: str
    name: str
    kind: str
    status: str
    is_pkp: bool
    email: str | None
    phone: str | None
    address: str | None


class ProfileUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    address: multiline_text(500, min_length=5)


class ContactChangeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: Email | None = None
    phone: Phone | None = None

    def change(self) -> tuple[str, str]:
        """(channel, new value): the e-mail if given, else the phone."""
        channel, value = ("email", self.email) if self.email else ("sms", self.phone)
        if value is None:
            raise ValidationFailed("give the new email or the new phone")
        return channel, value


class ContactChangeRead(BaseModel):
    change_id: uuid.UUID
    channel: str
    new_value: str


class ContactChangeConfirm(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel: Literal["sms", "email"]
    new_value: text(254)
    code: str = Field(pattern=r"^[0-9]{6}$")


class BankAccountCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    bank_code: str = Field(pattern=r"^[0-9]{3}$", description="3-digit bank code (e.g. 008 Mandiri)")
    account_number: str = Field(pattern=r"^[0-9]{6,20}$")
    account_name: organisation_name(100, min_length=2)
    is_refund_account: bool = False


class BankAccountRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    bank_code: str
    account_number: str
    account_name: str
    is_refund_account: bool


class PKPPeriodRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    is_pkp: bool
    effective_date: date
    source: str
    recorded_at: datetime


class RoleGrantCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    person: text(40) = Field(description="the grantee's NIK or identity number")
    role: Literal[ROLES]  # type: ignore[valid-type]


class RoleGrantRead(BaseModel):
    grant_id: uuid.UUID
    person_id: uuid.UUID
    full_name: str
    role: str
    granted_at: datetime


class TaxpayerCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    npwp: str = Field(pattern=r"^[0-9]{16}$", description="NPWP16")
    name: organisation_name(200)
    kind: TaxpayerKind = "individual"


class TaxpayerRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    npwp: str
    nitku: str
    name: str
    kind: str
    registered_at: datetime
