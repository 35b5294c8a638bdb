"""API models of the KSWP slice. `KswpRead` is the stored snapshot as it is (plus its digest and links): it is never
recomputed."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kit import text as api_text

Line = api_text.text(200, min_length=1)


class KswpCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    npwp: str = Field(pattern=r"^[0-9]{16}$")
    name: Line = Field(description="the taxpayer's name as the agency has it")  # type: ignore[valid-type]
    agency: Line = Field(description="the requesting agency")  # type: ignore[valid-type]
    service: Line = Field(description="the public service it provides (e.g. a business licence)")  # type: ignore[valid-type]
    variant: Literal["standard", "customs"] = Field(default="standard", description="customs (CEISA) also checks "
                                                                                     "the last 3 SPT Masa PPN")


class ReturnChecked(BaseModel):
    form: str
    period: str
    due_date: date
    owed: bool = Field(description="false: not owed (before registration, or not a PKP that month): satisfied")
    filed: bool


class KswpCheck(BaseModel):
    code: Literal["npwp_active", "name_matches", "spt_tahunan_filed", "spt_masa_ppn_filed"]
    passed: bool
    detail: str | None = Field(default=None, description="npwp_active: the registry status, or npwp_not_found")
    returns: list[ReturnChecked] | None = None


class KswpRead(BaseModel):
    kswp_id: uuid.UUID
    letter_number: str
    verification_code: str
    npwp: str
    requested_name: str
    taxpayer_name: str | None = Field(description="the name on record; null when the NPWP is unknown")
    agency: str
    agency_client_id: str
    service: str
    variant: Literal["standard", "customs"]
    checked_at: datetime
    checked_on: date = Field(description="the day (WIB) of the check")
    checks: list[KswpCheck]
    status: Literal["valid", "invalid"]
    reasons: list[str] = Field(description="npwp_not_found, npwp_inactive, name_mismatch, spt_tahunan_not_filed, "
                                           "spt_masa_ppn_not_filed")
    snapshot_digest: str = Field(description="SHA-256 of the stored snapshot this answer and the letter render")
    signature: str | None = Field(description="filing's electronic signature over `snapshot_digest` (ECDSA P-256, "
                                              "DER, base64), printed on the letter; null only for letters made "
                                              "before letters were signed")
    signing_key_id: str | None = Field(description="the key that signed (RFC 7638 thumbprint), published at "
                                                   "`GET /v1/kswp/keys`")
    signature_algorithm: str = Field(description="how `signature` is made")
    letter_url: str
    verification_url: str


class PublicJwk(BaseModel):
    """A public key letters are signed with, as a JWK (RFC 7517; EC P-256)."""

    kty: Literal["EC"]
    crv: Literal["P-256"]
    x: str
    y: str
    kid: str = Field(description="the key id a letter names (`signing_key_id`): RFC 7638 thumbprint")
    use: Literal["sig"]
    alg: Literal["ES256"]


class KswpKeysRead(BaseModel):
    """The published keys (a JWKS): the one signing new letters first, then those kept after a rotation."""

    keys: list[PublicJwk]


class KswpVerificationRead(BaseModel):
    letter_number: str
    npwp: str = Field(description="masked: the last 4 digits")
    agency: str
    service: str
    variant: str
    status: Literal["valid", "invalid"] = Field(description="the KSWP status the letter states (not the verdict)")
    checked_at: datetime
    snapshot_digest: str
    signature: str | None = Field(description="the signature printed on the letter")
    signing_key_id: str | None
    signature_algorithm: str
    public_key: PublicJwk | None = Field(description="the published key the letter names, if it is published")
    valid: bool = Field(description="the letter is genuine: the stored snapshot still hashes to its digest and the "
                                    "signature over that digest verifies with the published key it names")
    reason: str = Field(description="why it is valid or not")
    authentic: bool = Field(description="same as `valid` (kept for earlier clients)")
