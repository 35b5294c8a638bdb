"""Tables of the identity database. One declarative base; sub-domains may keep their tables in their own module."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kit.db import Timestamps, make_metadata
from kit.inbox import inbox_table
from kit.outbox import outbox_table
from kit.ratelimit import client_rate_table


class Base(DeclarativeBase):
    metadata = make_metadata()
    type_annotation_map = {dict[str, Any]: JSONB}


def _uuid_pk() -> Mapped[uuid.UUID]:
    return mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)


class Person(Timestamps, Base):
    """A natural person: a resident identified by NIK, or a foreigner by passport (any nationality)."""

    __tablename__ = "person"
    __table_args__ = (UniqueConstraint("passport_country", "passport_number"),)

    id: Mapped[uuid.UUID] = _uuid_pk()
    kind: Mapped[str] = mapped_column(Text)  # resident | foreigner
    full_name: Mapped[str] = mapped_column(Text)
    nik: Mapped[str | None] = mapped_column(Text, unique=True)
    passport_number: Mapped[str | None] = mapped_column(Text)
    passport_country: Mapped[str | None] = mapped_column(Text)  # ISO 3166-1 alpha-3
    passport_expiry: Mapped[date | None] = mapped_column(Date)
    nationality: Mapped[str | None] = mapped_column(Text)
    stay_permit_number: Mapped[str | None] = mapped_column(Text)  # KITAS / KITAP
    stay_permit_expiry: Mapped[date | None] = mapped_column(Date)
    birth_date: Mapped[date | None] = mapped_column(Date)
    birth_place: Mapped[str | None] = mapped_column(Text)
    gender: Mapped[str | None] = mapped_column(Text)
    # A foreigner appointed PIC or officer needs an identity number to log in, but has no NPWP of their own.
    identity_number: Mapped[str] = mapped_column(Text, unique=True)


class Account(Timestamps, Base):
    """A person's login. `id` is the token subject."""

    __tablename__ = "account"

    id: Mapped[uuid.UUID] = _uuid_pk()
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"), unique=True)
    email: Mapped[str] = mapped_column(Text)
    phone: Mapped[str] = mapped_column(Text)
    locale: Mapped[str] = mapped_column(Text, server_default="id")
    password_hash: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, server_default="active")  # active | disabled
    failed_logins: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Tokens issued before this instant are no longer honoured (password reset, "log out everywhere").
    sessions_valid_after: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Taxpayer(Timestamps, Base):
    __tablename__ = "taxpayer"

    id: Mapped[uuid.UUID] = _uuid_pk()
    npwp: Mapped[str] = mapped_column(Text, unique=True)
    nitku: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text)  # individual | company | government
    person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("person.id"), unique=True)
    legacy_npwp15: Mapped[str | None] = mapped_column(Text, unique=True)
    ahu_number: Mapped[str | None] = mapped_column(Text, unique=True)
    email: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    is_pkp: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    status: Mapped[str] = mapped_column(Text, server_default="active")
    version: Mapped[int] = mapped_column(BigInteger, default=1)
    registered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class PKPStatusPeriod(Base):
    """PKP status history: one row per change, so 'was it PKP on that date' has an answer."""

    __tablename__ = "pkp_status_period"

    id: Mapped[uuid.UUID] = _uuid_pk()
    taxpayer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("taxpayer.id"), index=True)
    is_pkp: Mapped[bool] = mapped_column(Boolean)
    effective_date: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(Text)  # registration | officer | legacy_import
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class NPWPChange(Base):
    """NIK-NPWP matching and other identifier changes, kept as history."""

    __tablename__ = "npwp_change"

    id: Mapped[uuid.UUID] = _uuid_pk()
    taxpayer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("taxpayer.id"), index=True)
    old_npwp: Mapped[str] = mapped_column(Text)
    new_npwp: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    changed_by: Mapped[str] = mapped_column(Text)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class CompanyOfficer(Base):
    """An officer of a company as recorded in the company registry (AHU) at registration or update."""

    __tablename__ = "company_officer"

    id: Mapped[uuid.UUID] = _uuid_pk()
    taxpayer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("taxpayer.id"), index=True)
    full_name: Mapped[str] = mapped_column(Text)
    position: Mapped[str] = mapped_column(Text)
    nik: Mapped[str | None] = mapped_column(Text)
    passport_number: Mapped[str | None] = mapped_column(Text)


class RoleGrant(Base):
    """A person's role for one taxpayer (pic, drafter, signer, payroll_viewer). Revoked grants are kept."""

    __tablename__ = "role_grant"
    __table_args__ = (
        Index("role_grant_active_idx", "taxpayer_id", "person_id", "role", unique=True,
              postgresql_where=text("revoked_at IS NULL")),
        Index("role_grant_one_pic_idx", "taxpayer_id", unique=True,
              postgresql_where=text("revoked_at IS NULL AND role = 'pic'")),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    taxpayer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("taxpayer.id"))
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"), index=True)
    role: Mapped[str] = mapped_column(Text)
    granted_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    granted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    revoked_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Registration(Timestamps, Base):
    """A registration waiting for its e-mail and phone OTPs."""

    __tablename__ = "registration"

    id: Mapped[uuid.UUID] = _uuid_pk()
    kind: Mapped[str] = mapped_column(Text)  # resident | foreigner | company
    # The application as submitted (validated), minus the password, which is only kept as its hash.
    application: Mapped[dict[str, Any]] = mapped_column(JSONB)
    password_hash: Mapped[str] = mapped_column(Text)
    email: Mapped[str] = mapped_column(Text)
    phone: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(Text, server_default="pending")  # pending | completed | expired
    taxpayer_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class OTPChallenge(Base):
    """A one-time code: only its HMAC is stored. Delivery state comes back from the notification service."""

    __tablename__ = "otp_challenge"
    __table_args__ = (Index("otp_challenge_destination_idx", "destination", "created_at"),)

    id: Mapped[uuid.UUID] = _uuid_pk()
    purpose: Mapped[str] = mapped_column(Text)
    subject_id: Mapped[str] = mapped_column(Text, index=True)  # registration, account or reset id it belongs to
    account_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    channel: Mapped[str] = mapped_column(Text)  # sms | email
    destination: Mapped[str] = mapped_column(Text)
    code_hmac: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    superseded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    delivery_state: Mapped[str] = mapped_column(Text, server_default="requested")  # requested|sent|delivered|failed
    delivery_error: Mapped[str | None] = mapped_column(Text)
    requester_ip: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class PasswordReset(Base):
    __tablename__ = "password_reset"

    id: Mapped[uuid.UUID] = _uuid_pk()
    account_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))  # None: unknown login, same answer
    state: Mapped[str] = mapped_column(Text, server_default="pending")  # pending | completed
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class RefreshToken(Base):
    """Opaque refresh tokens, stored as SHA-256. Rotated on use; a reused one revokes its whole family."""

    __tablename__ = "refresh_token"

    id: Mapped[uuid.UUID] = _uuid_pk()
    family_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id"), index=True)
    token_hash: Mapped[str] = mapped_column(Text, unique=True)
    scope: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PJAPClient(Timestamps, Base):
    """A licensed tax-application provider's machine client (OAuth2 client credentials)."""

    __tablename__ = "pjap_client"

    id: Mapped[uuid.UUID] = _uuid_pk()
    client_id: Mapped[str] = mapped_column(Text, unique=True)
    secret_hash: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    scopes: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text, server_default="pjap")  # pjap | internal
    rate_limit_per_minute: Mapped[int] = mapped_column(Integer, server_default=text("600"))
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))


class PJAPDelegation(Base):
    __tablename__ = "pjap_delegation"
    __table_args__ = (Index("pjap_delegation_active_idx", "taxpayer_id", "client_id", unique=True,
                            postgresql_where=text("revoked_at IS NULL")),)

    id: Mapped[uuid.UUID] = _uuid_pk()
    taxpayer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("taxpayer.id"))
    client_id: Mapped[str] = mapped_column(Text, index=True)
    scopes: Mapped[str] = mapped_column(Text)
    granted_by: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    granted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class BankAccount(Timestamps, Base):
    __tablename__ = "bank_account"

    id: Mapped[uuid.UUID] = _uuid_pk()
    taxpayer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("taxpayer.id"), index=True)
    bank_code: Mapped[str] = mapped_column(Text)
    account_number: Mapped[str] = mapped_column(Text)
    account_name: Mapped[str] = mapped_column(Text)
    is_refund_account: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))


class AuditEvent(Base):
    """Every security-relevant action, attributed to the natural person who did it (and whom they acted for)."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("audit_event_at_idx", "at", "id"), Index("audit_event_actor_idx", "actor_id", "at"))

    id: Mapped[uuid.UUID] = _uuid_pk()
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    action: Mapped[str] = mapped_column(Text)  # login, login_failed, otp_issued, role_granted, ...
    outcome: Mapped[str] = mapped_column(Text, server_default="success")
    actor_id: Mapped[str | None] = mapped_column(Text)  # account id, client id, or None (anonymous)
    acting_for: Mapped[str | None] = mapped_column(Text)  # taxpayer NPWP
    ip: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))


class LoginThrottle(Base):
    """Failed password attempts per (login id, client IP): back-off that an attacker cannot turn into a lockout
    of the victim from everywhere (the victim's own IP keeps its own counter)."""

    __tablename__ = "login_throttle"

    login: Mapped[str] = mapped_column(Text, primary_key=True)
    ip: Mapped[str] = mapped_column(Text, primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    blocked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class LoginBackoff(Base):
    """Failed password attempts on one login from every address (a NITKU counts with its NPWP): slows a guesser who
    rotates addresses. Keyed by the login as typed, never by the account, so a login that exists and one that does
    not behave alike. It always ends, and it does not apply at the account's known addresses."""

    __tablename__ = "login_backoff"

    login: Mapped[str] = mapped_column(Text, primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    blocked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_failure_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class KnownAddress(Base):
    """Addresses an account has proved itself from (a successful login, a password reset, its registration): there
    the per-login back-off does not apply, so strangers' guesses cannot keep the owner out."""

    __tablename__ = "known_address"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), primary_key=True)
    ip: Mapped[str] = mapped_column(Text, primary_key=True)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


outbox = outbox_table(Base.metadata)
inbox = inbox_table(Base.metadata)
client_rate = client_rate_table(Base.metadata)  # PJAP clients' rates (kit.ratelimit; migration 0005)
metadata = Base.metadata
