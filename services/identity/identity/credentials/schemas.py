"""API schemas of the signing-credential endpoints. The private key is never part of any of them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from identity.credentials.keystore import SIGNATURE_ALGORITHM
from identity.credentials.models import SigningCredential
from kit.text import secret, text

Kind = Literal["kode_otorisasi", "electronic_certificate"]


class SigningCredentialCreate(BaseModel):
    """Only what the person chooses. Who the credential is for comes from the access token, never from the body:
    unknown fields (a name, a NIK, ...) are refused."""

    model_config = ConfigDict(extra="forbid")

    kind: Kind
    # the passphrase rules (control characters included) answer with their own code (credentials.passphrase)
    passphrase: SecretStr = Field(min_length=1, max_length=256,
                                  description="≥ 8 characters with upper, lower, digit and special; no `/` or `'`")
    liveness_reference: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9._:\-]+$",
                                    description="the face/liveness capture session from the provider's SDK")


class SubjectRead(BaseModel):
    name: str
    serial_number: str = Field(description="IDCID-<NIK> or PAS<country>-<passport number>")
    identity_number: str


class SigningCredentialRead(BaseModel):
    id: uuid.UUID
    kind: Kind
    status: Literal["active", "revoked", "expired"]
    serial_number: str = Field(description="certificate serial, lower-case hex")
    subject: SubjectRead
    valid_from: datetime
    valid_until: datetime
    certificate_pem: str
    key_algorithm: str
    locked_until: datetime | None = None
    last_used_at: datetime | None = None
    created_at: datetime
    revoked_at: datetime | None = None
    revoked_reason: str | None = None

    @classmethod
    def of(cls, c: SigningCredential, *, now: datetime | None = None) -> SigningCredentialRead:
        now = now or datetime.now(UTC)
        status = "expired" if c.status == "active" and c.valid_until <= now else c.status
        return cls(
            id=c.id, kind=c.kind, status=status, serial_number=c.serial_number,  # type: ignore[arg-type]
            subject=SubjectRead(name=c.subject_name, serial_number=c.subject_serial,
                                identity_number=c.identity_number),
            valid_from=c.valid_from, valid_until=c.valid_until, certificate_pem=c.certificate_pem,
            key_algorithm=c.key_algorithm,
            locked_until=c.locked_until if c.locked_until and c.locked_until > now else None,
            last_used_at=c.last_used_at, created_at=c.created_at, revoked_at=c.revoked_at,
            revoked_reason=c.revoked_reason,
        )


class SigningCredentialList(BaseModel):
    """A person holds a handful of credentials (one active per kind): the whole list, newest first."""

    items: list[SigningCredentialRead]


class SigningSessionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    passphrase: secret(256)
    ttl_s: int | None = Field(None, ge=10, description="how long the session lasts; default 900 (15 min), at most "
                                                        "`session_max_ttl_s` (3,600), never past the credential")
    max_signatures: int | None = Field(None, ge=1, description="signature budget; default 10,000, at most "
                                                               "`session_max_signatures` (100,000)")


class SigningSessionOpened(BaseModel):
    session_id: uuid.UUID
    credential_id: uuid.UUID
    session_secret: str = Field(description="base64url, 32 random bytes: shown once, never stored; send it with "
                                            "`session_id` instead of the passphrase")
    expires_at: datetime
    max_signatures: int


class SigningSessionUse(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID
    secret: secret(64)
    device: text(200, min_length=1) = Field(
        description="the login session of the signer's verified access token that this call serves: its `sid` "
                    "claim, or its `jti` when it has none; must be the one that opened the session")


class SignatureRequest(BaseModel):
    """Exactly one of `passphrase` (one scrypt per call) and `signing_session` (opened once with the passphrase)."""

    model_config = ConfigDict(extra="forbid")

    credential_id: uuid.UUID
    passphrase: secret(256) | None = None
    signing_session: SigningSessionUse | None = None
    digests: list[text(100)] = Field(min_length=1, description="base64 (standard alphabet, padded) SHA-256 digests; "
                                                         "at most `max_digests_per_call` (5,000) per call")
    account_id: uuid.UUID | None = Field(None, description="the person on whose behalf the caller signs; when "
                                                           "given, the credential must be theirs")
    acting_for: str | None = Field(None, pattern=r"^[0-9]{16}$",
                                   description="NPWP the document is signed for (recorded in the audit log)")


class SignatureBatch(BaseModel):
    credential_id: uuid.UUID
    certificate_serial: str
    certificate_pem: str
    algorithm: Literal["ecdsa-p256-sha256"] = SIGNATURE_ALGORITHM  # type: ignore[assignment]
    signature_encoding: Literal["der-base64"] = "der-base64"
    signatures: list[str] = Field(description="one per digest, in the order of the request")
