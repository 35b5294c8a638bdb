"""Tables of the signing-credential module (migration 0003), on identity's declarative base."""

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
