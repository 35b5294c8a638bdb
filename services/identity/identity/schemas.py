"""API models of the identity service."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr

from contracts.identity import TaxpayerKind

_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


def _email(value: str) -> str:
    value = value.strip()
    if len(value) > 254 or not _EMAIL.fullmatch(value):
        raise ValueError("not an e-mail address")
    return value  # kept exactly as given: case included (DJP compares what users retype)


def _phone(value: str) -> str:
    """Indonesian mobile numbers as DJP accepts them (0... or +62..., 8-15 digits), normalised to E.164."""
    digits = re.sub(r"[\s\-()]", "", value)
    if digits.startswith("+62"):
        national = digits[3:]
    elif digits.startswith("62"):
        national = digits[2:]
    elif digits.startswith("0"):
        national = digits[1:]
    else:
        raise ValueError("a phone number starts with 0 or +62")
    if not national.isdigit() or not national.startswith("8") or not 8 <= len(national) + 1 <= 15:
        raise ValueError("not an Indonesian mobile number (08..., 8 to 15 digits)")
    return "+62" + national


Email = Annotated[str, AfterValidator(_email)]
Phone = Annotated[str, AfterValidator(_phone)]
Name = Annotated[str, Field(min_length=2, max_length=200)]


class Contacts(BaseModel):
    email: Email
    phone: Phone
    locale: Literal["id", "en"] = "id"


class ResidentApplication(Contacts):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["resident"]
    nik: str = Field(description="16-digit NIK, checked against the population registry")
    full_name: Name
    birth_date: date
    password: SecretStr


class ForeignerApplication(Contacts):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["foreigner"]
    passport_number: str = Field(pattern=r"^[A-Za-z0-9]{5,20}$")
    passport_country: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 3166-1 alpha-3 of the issuing state")
    nationality: str = Field(pattern=r"^[A-Z]{3}$")
    passport_expiry: date
    full_name: Name
    birth_date: date
    birth_place: str | None = None
    gender: Literal["M", "F"] | None = None
    stay_permit_number: str | None = Field(default=None, description="KITAS/KITAP; needed for an NPWP")
    stay_permit_expiry: date | None = None
    register_as_taxpayer: bool = Field(default=True, description="false: an identity only, e.g. to act as PIC")
    password: SecretStr


class CompanyApplication(Contacts):
    """Submitted by the person who will be the company's PIC, logged in; they must be an officer in AHU."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["company"]
    ahu_number: str = Field(min_length=5, max_length=60)


Application = Annotated[ResidentApplication | ForeignerApplication | CompanyApplication, Field(discriminator="kind")]


class OTPStatus(BaseModel):
    challenge_id: uuid.UUID
    channel: str
    destination: str = Field(description="masked")
    delivery_state: str = Field(description="requested, sent, delivered or failed")
    delivery_error: str | None = None
    expires_at: datetime


class RegistrationRead(BaseModel):
    registration_id: uuid.UUID
    kind: str
    state: str
    expires_at: datetime
    otp: list[OTPStatus]


class RegistrationVerify(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email_code: str = Field(pattern=r"^\d{6}$")
    phone_code: str = Field(pattern=r"^\d{6}$")


class Registered(BaseModel):
    taxpayer_id: uuid.UUID | None
    npwp: str | None
    nitku: str | None
    identity_number: str
    account_id: uuid.UUID | None


class OTPResend(BaseModel):
    channel: Literal["sms", "email"]


class TaxpayerCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    npwp: str = Field(pattern=r"^\d{16}$", description="NPWP16")
    name: str = Field(min_length=1, max_length=200)
    kind: TaxpayerKind = "individual"


class TaxpayerRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    npwp: str
    nitku: str
    name: str
    kind: str
    registered_at: datetime


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int
    refresh_token: str | None = None
    scope: str
    issued_token_type: str | None = None


class PasswordResetCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    login: str = Field(min_length=5, max_length=40, description="NIK, NPWP16, NITKU or identity number")
    channel: Literal["sms", "email"] = "email"


class PasswordResetRead(BaseModel):
    reset_id: uuid.UUID
    channel: str
    expires_at: datetime
    message: str


class PasswordResetConfirm(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=r"^\d{6}$")
    new_password: SecretStr


def mask(destination: str) -> str:
    if "@" in destination:
        local, _, domain = destination.partition("@")
        return local[:2] + "*" * max(len(local) - 2, 1) + "@" + domain
    return destination[:5] + "*" * max(len(destination) - 8, 1) + destination[-3:]
