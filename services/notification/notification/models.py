"""Tables of the notification database."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
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
from kit.replica import taxpayer_replica_table


class Base(DeclarativeBase):
    metadata = make_metadata()


class Message(Timestamps, Base):
    """One message to one recipient on one channel: an OTP or a notice. Subject and body are stored redacted (an OTP
    code is replaced by ******). `sealed_code` holds the OTP code still sealed to this service's key, only while the
    message may still need sending; it is erased when the message is delivered, fails or expires."""

    __tablename__ = "message"
    __table_args__ = (
        UniqueConstraint("request_id", "channel"),
        CheckConstraint("kind IN ('otp', 'notice')", name="kind"),
        CheckConstraint("channel IN ('sms', 'email')", name="channel"),
        CheckConstraint("state IN ('queued', 'sent', 'delivered', 'failed')", name="state"),
        Index("message_due_idx", "next_attempt_at", postgresql_where=text("state = 'queued'")),
        Index("message_report_due_idx", "report_deadline",
              postgresql_where=text("state = 'sent' AND report_deadline IS NOT NULL")),
        Index("message_recipient_created_idx", "recipient", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(Text)
    recipient: Mapped[str] = mapped_column(Text)
    template: Mapped[str] = mapped_column(Text)
    locale: Mapped[str] = mapped_column(Text)
    subject: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    params: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    state: Mapped[str] = mapped_column(Text)
    request_id: Mapped[str] = mapped_column(Text, comment="identity's OTP request id, or the source event id")
    account_id: Mapped[str | None] = mapped_column(Text)
    taxpayer: Mapped[str | None] = mapped_column(Text, comment="NPWP16 of the taxpayer a notice is for")
    sealed_code: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"), comment="provider calls so far")
    rounds: Mapped[int] = mapped_column(Integer, server_default=text("0"), comment="rounds that found no provider")
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    provider: Mapped[str | None] = mapped_column(Text)
    provider_message_id: Mapped[str | None] = mapped_column(Text)
    report_deadline: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    suspect_provider: Mapped[str | None] = mapped_column(
        Text, comment="provider whose negative report requeued this message; counted against its health")
    error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    failed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class DeliveryAttempt(Base):
    """One hand-over of a message to one provider, and what became of it."""

    __tablename__ = "delivery_attempt"
    __table_args__ = (
        UniqueConstraint("provider", "provider_message_id"),
        CheckConstraint("state IN ('accepted', 'failed', 'delivered', 'rejected', 'unconfirmed')", name="state"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    message_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("message.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    latency_ms: Mapped[int | None] = mapped_column(Integer)
    provider_message_id: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    reported_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Recipient(Base):
    """How to reach a taxpayer: contacts (from identity's TaxpayerRegistered and TaxpayerUpdated, or set by hand)
    and the language."""

    __tablename__ = "recipient"

    taxpayer: Mapped[str] = mapped_column(Text, primary_key=True, comment="NPWP16")
    email: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(Text)
    source_sequence: Mapped[int | None] = mapped_column(
        BigInteger, comment="identity's version of the taxpayer the contacts come from (envelope sequence); "
                            "NULL: set by hand")
    locale: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(),
                                                 onupdate=func.now())


class NoticePreference(Base):
    """A taxpayer's choice for one non-statutory notice. No row means the notice is on."""

    __tablename__ = "notice_preference"

    taxpayer: Mapped[str] = mapped_column(Text, primary_key=True)
    notice: Mapped[str] = mapped_column(Text, primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(),
                                                 onupdate=func.now())


class InboxItem(Base):
    """A notice in the taxpayer's in-app inbox. `notice` names its template, `source_event_id` is the source key
    its messages carry as `request_id`."""

    __tablename__ = "inbox_item"
    __table_args__ = (
        UniqueConstraint("taxpayer", "source_event_id", "notice"),
        Index("inbox_item_taxpayer_created_idx", "taxpayer", text("created_at DESC"), text("id DESC")),
        Index("inbox_item_unread_idx", "taxpayer", postgresql_where=text("read_at IS NULL")),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    taxpayer: Mapped[str] = mapped_column(Text)
    notice: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    locale: Mapped[str] = mapped_column(Text)
    statutory: Mapped[bool] = mapped_column(Boolean)
    source_event_id: Mapped[str] = mapped_column(Text)
    params: Mapped[dict[str, Any] | None] = mapped_column(
        JSONB, comment="the template's parameters: the notice is rendered from them again for a contact that becomes "
                       "known later; NULL for items made before they were kept")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


taxpayer = taxpayer_replica_table(Base.metadata)
outbox = outbox_table(Base.metadata)
inbox = inbox_table(Base.metadata)
metadata = Base.metadata
