"""API models of registration."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from identity.contacts import Email, Phone, mask
from identity.models import OTPChallenge
from kit.text import person_name, place_name, secret, text

Name = person_name(200, min_length=2)
Password = secret(256)


class Contacts(BaseModel):
    email: Email
    phone: Phone
    locale: Literal["id", "en"] = "id"


class ResidentApplication(Contacts):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["resident"]
    nik: text(32) = Field(description="16-digit NIK, checked against the population registry")
    full_name: Name
    birth_date: date
    password: Password


class ForeignerApplication(Contacts):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["foreigner"]
    passport_number: str = Field(pattern=r"^[A-Za-z0-9]{5,20}$")
    passport_country: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 3166-1 alpha-3 of the issuing state")
    nationality: str = Field(pattern=r"^[A-Z]{3}$")
    passport_expiry: date
    full_name: Name
    birth_date: date
    birth_place: place_name(100) | None = None
    gender: Literal["M", "F"] | None = None
    stay_permit_number: text(40) | None = Field(default=None, description="KITAS/KITAP; needed for an NPWP")
    stay_permit_expiry: date | None = None
    register_as_taxpayer: bool = Field(default=True, description="false: an identity only, e.g. to act as PIC")
    password: Password


class CompanyApplication(Contacts):
    """Submitted by the person who will be the company's PIC, logged in; they must be an officer in AHU."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["company"]
    ahu_number: text(60, min_length=5)


Application = Annotated[ResidentApplication | ForeignerApplication | CompanyApplication, Field(discriminator="kind")]


class OTPStatus(BaseModel):
    challenge_id: uuid.UUID
    channel: str
    destination: str = Field(description="masked")
    delivery_state: str = Field(description="requested, sent, delivered or failed")
    delivery_error: str | None = None
    expires_at: datetime

    @classmethod
    def of(cls, challenge: OTPChallenge) -> OTPStatus:
        return cls(challenge_id=challenge.id, channel=challenge.channel, destination=mask(challenge.destination),
                   delivery_state=challenge.delivery_state, delivery_error=challenge.delivery_error,
                   expires_at=challenge.expires_at)


class RegistrationRead(BaseModel):
    registration_id: uuid.UUID
    kind: str
    state: str
    expires_at: datetime
    otp: list[OTPStatus]


class RegistrationVerify(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email_code: str = Field(pattern=r"^[0-9]{6}$")
    phone_code: str = Field(pattern=r"^[0-9]{6}$")


class Registered(BaseModel):
    taxpayer_id: uuid.UUID | None
    npwp: str | None
    nitku: str | None
    identity_number: str
    account_id: uuid.UUID | None


class OTPResend(BaseModel):
    channel: Literal["sms", "email"]
