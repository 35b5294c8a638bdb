"""Events published by the identity service on `identity.events`, keyed by the taxpayer's NPWP."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar, Literal

from pydantic import Field

from contracts.registry import Contract, register

TOPIC = "identity.events"

TaxpayerKind = Literal["individual", "company", "government"]


@register
class TaxpayerRegistered(Contract):
    """A taxpayer record now exists: every service keeps a replica of the registry from this fact. The contacts are
    for notification (the notice of registration goes out at once); replicas that do not need them ignore them."""

    type: ClassVar[str] = "TaxpayerRegistered"
    version: ClassVar[int] = 1
    source: ClassVar[str] = "identity"

    taxpayer_id: str = Field(description="identity's id of the taxpayer (uuid)")
    npwp: str = Field(pattern=r"^[0-9]{16}$", description="NPWP16")
    nitku: str = Field(pattern=r"^[0-9]{22}$", description="NITKU of the head office")
    name: str = Field(min_length=1, max_length=200)
    kind: TaxpayerKind
    registered_at: datetime
    # Added in place (optional, so v1 still): absent from events published before, read as "not known".
    email: str | None = Field(default=None, description="contact e-mail at registration, if any (personal data)")
    phone: str | None = Field(default=None, description="contact phone at registration, if any (personal data)")


@register
class TaxpayerUpdated(Contract):
    """Registry facts of a taxpayer changed (name, identifiers after NIK-NPWP matching, contacts, address, status).
    Carries the full current registry view so a replica can apply it without history."""

    type: ClassVar[str] = "TaxpayerUpdated"
    version: ClassVar[int] = 1
    source: ClassVar[str] = "identity"

    taxpayer_id: str
    npwp: str = Field(pattern=r"^[0-9]{16}$")
    previous_npwp: str | None = Field(default=None, description="set when the NPWP itself changed")
    nitku: str = Field(pattern=r"^[0-9]{22}$")
    name: str
    kind: TaxpayerKind
    status: str
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    changed: list[str] = Field(description="names of the fields that changed")
    updated_at: datetime


@register
class PKPStatusChanged(Contract):
    """The taxpayer became, or stopped being, a PKP (VAT-registered) from `effective_date`."""

    type: ClassVar[str] = "PKPStatusChanged"
    version: ClassVar[int] = 1
    source: ClassVar[str] = "identity"

    taxpayer_id: str
    npwp: str = Field(pattern=r"^[0-9]{16}$")
    is_pkp: bool
    effective_date: date
    source_of_change: Literal["registration", "officer", "legacy_import"]


Role = Literal["pic", "drafter", "signer", "payroll_viewer"]


@register
class RepresentativeGranted(Contract):
    type: ClassVar[str] = "RepresentativeGranted"
    version: ClassVar[int] = 1
    source: ClassVar[str] = "identity"

    grant_id: str
    taxpayer_id: str
    npwp: str = Field(pattern=r"^[0-9]{16}$")
    person_id: str
    account_id: str | None
    role: Role
    granted_by: str | None
    granted_at: datetime


@register
class RepresentativeRevoked(Contract):
    type: ClassVar[str] = "RepresentativeRevoked"
    version: ClassVar[int] = 1
    source: ClassVar[str] = "identity"

    grant_id: str
    taxpayer_id: str
    npwp: str = Field(pattern=r"^[0-9]{16}$")
    person_id: str
    role: Role
    revoked_by: str | None
    revoked_at: datetime


CredentialKind = Literal["kode_otorisasi", "electronic_certificate"]


@register
class SigningCredentialIssued(Contract):
    """A person now holds a signing credential (Kode Otorisasi DJP or electronic certificate) in their own name.
    Keyed by the holder's identity number; no name, NIK or key material in the payload."""

    type: ClassVar[str] = "SigningCredentialIssued"
    version: ClassVar[int] = 1
    source: ClassVar[str] = "identity"

    credential_id: str
    account_id: str = Field(description="the holder's account (token subject)")
    kind: CredentialKind
    certificate_serial: str = Field(pattern=r"^[0-9a-f]+$", description="X.509 serial number, lower-case hex")
    valid_from: datetime
    valid_until: datetime
    issued_at: datetime


@register
class SigningCredentialRevoked(Contract):
    """A signing credential can no longer sign: revoked by its holder, or superseded by a newer one of its kind."""

    type: ClassVar[str] = "SigningCredentialRevoked"
    version: ClassVar[int] = 1
    source: ClassVar[str] = "identity"

    credential_id: str
    account_id: str
    kind: CredentialKind
    certificate_serial: str = Field(pattern=r"^[0-9a-f]+$")
    reason: str = Field(description="holder_request | superseded")
    revoked_at: datetime
