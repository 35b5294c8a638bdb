"""Tables of the signing-credential module (migrations 0003, 0006), on identity's declarative base."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Index, Integer, LargeBinary, Text, func, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from identity.models import Base
from kit.db import Timestamps

KINDS = ("kode_otorisasi", "electronic_certificate")


class SigningAuthority(Base):
    """The issuing CA when it is not configured (dev/test only): generated on first use, kept across restarts.
    In prod the CA key comes from settings and this table stays empty."""

    __tablename__ = "signing_authority"

    name: Mapped[str] = mapped_column(Text, primary_key=True)
    certificate_pem: Mapped[str] = mapped_column(Text)
    private_key_pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class SigningCredential(Timestamps, Base):
    """A person's signing key pair and certificate. The private key is only stored sealed under the passphrase."""

    __tablename__ = "signing_credential"
    __table_args__ = (
        # one active credential per person and kind: a new request supersedes (revokes) the previous one
        Index("signing_credential_one_active_idx", "person_id", "kind", unique=True,
              postgresql_where=text("status = 'active'")),
        CheckConstraint("kind IN ('kode_otorisasi', 'electronic_certificate')", name="kind"),
        CheckConstraint("status IN ('active', 'revoked')", name="status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id"), index=True)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"))
    kind: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, server_default="active")  # active | revoked (expiry is derived)
    serial_number: Mapped[str] = mapped_column(Text, unique=True)  # certificate serial, lower-case hex
    # The certificate's subject as issued, copied from the person row (never from a request).
    subject_name: Mapped[str] = mapped_column(Text)
    subject_serial: Mapped[str] = mapped_column(Text)
    identity_number: Mapped[str] = mapped_column(Text)
    certificate_pem: Mapped[str] = mapped_column(Text)
    key_algorithm: Mapped[str] = mapped_column(Text)  # ecdsa-p256
    # PKCS#8 DER of the private key, AES-256-GCM under scrypt(passphrase); AAD binds it to this row's id.
    sealed_key: Mapped[bytes] = mapped_column(LargeBinary)
    key_nonce: Mapped[bytes] = mapped_column(LargeBinary)
    kdf_salt: Mapped[bytes] = mapped_column(LargeBinary)
    kdf_params: Mapped[dict[str, Any]] = mapped_column()
    valid_from: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    valid_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    failed_attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    first_failed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    signature_count: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_reason: Mapped[str | None] = mapped_column(Text)


class SigningSession(Base):
    """A signing session (migration 0006): one passphrase check re-seals the credential's key under a random 256-bit
    session secret that only the holder gets (never stored), for a short time, a budget of signatures and the login
    session (device) that opened it. Closing erases the sealed key."""

    __tablename__ = "signing_session"
    __table_args__ = (
        Index("signing_session_open_idx", "credential_id", postgresql_where=text("closed_at IS NULL")),
        CheckConstraint("max_signatures > 0", name="max_signatures"),
        CheckConstraint("signatures_used >= 0 AND signatures_used <= max_signatures", name="budget"),
        CheckConstraint("device_claim IN ('sid', 'jti')", name="device_claim"),
        CheckConstraint("(closed_at IS NULL) = (sealed_key IS NOT NULL)", name="sealed_while_open"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    credential_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("signing_credential.id"))
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id"))
    # PKCS#8 DER of the private key, AES-256-GCM under HKDF-SHA256(session secret); AAD: session id + credential id.
    sealed_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    key_nonce: Mapped[bytes | None] = mapped_column(LargeBinary)
    # The login session that opened it, from the holder's token: `sid`, or the token's own `jti` when it has none.
    device_claim: Mapped[str] = mapped_column(Text)
    device: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    max_signatures: Mapped[int] = mapped_column(Integer)
    signatures_used: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_reason: Mapped[str | None] = mapped_column(Text)  # holder_request | credential_revoked | credential_locked
