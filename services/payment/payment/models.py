"""Tables of the payment database."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kit.db import make_metadata
from kit.idempotency import idempotency_table
from kit.inbox import inbox_table
from kit.outbox import outbox_table
from kit.replica import taxpayer_replica_table

MONEY = Numeric(18, 2)


class Base(DeclarativeBase):
    metadata = make_metadata()


class Billing(Base):
    """A billing code (kode billing, tax-rules §4.1). Rows are never deleted, so the unique index on `code` keeps a
    code from ever being issued twice. `version` is the aggregate's version (the events' `sequence`): 1 when
    created, +1 when paid or expired."""

    __tablename__ = "billing"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'paid', 'expired')", name="status"),
        CheckConstraint("origin IN ('mandiri', 'spt', 'bill')", name="origin"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("(origin = 'spt') = (spt_id IS NOT NULL)", name="spt_link"),
        CheckConstraint("(origin = 'bill') = (debt_id IS NOT NULL)", name="bill_link"),
        Index("billing_due_idx", "expires_at", postgresql_where=text("status = 'active'")),
        Index("billing_npwp_created_idx", "npwp", "created_at"),
        # One payable code per SPT and KAP-KJS at a time (a redelivered or repeated request makes no second one).
        Index("billing_spt_open_key", "spt_id", "kap", "kjs", unique=True,
              postgresql_where=text("spt_id IS NOT NULL AND status <> 'expired'")),
        # One payable or paid code per debt: a debt can never be paid twice.
        Index("billing_debt_open_key", "debt_id", unique=True,
              postgresql_where=text("debt_id IS NOT NULL AND status <> 'expired'")),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(Text, unique=True)
    npwp: Mapped[str] = mapped_column(Text)
    kap: Mapped[str] = mapped_column(Text)
    kjs: Mapped[str] = mapped_column(Text)
    period: Mapped[str | None] = mapped_column(Text)
    assessment_number: Mapped[str | None] = mapped_column(Text)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    origin: Mapped[str] = mapped_column(Text)
    spt_id: Mapped[str | None] = mapped_column(Text, comment="filing's SPT id, for a code linked to an SPT")
    debt_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), ForeignKey("debt.id"),
                                                      comment="the debt a code from a bill pays")
    status: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(Text, comment="token subject, or the event that caused it")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer)

    @property
    def kap_kjs(self) -> str:
        return f"{self.kap}-{self.kjs}"


class LegacyDebtImport(Base):
    """One file of the legacy debt import, with its reconciliation report (what `POST` answered)."""

    __tablename__ = "legacy_debt_import"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    file_digest: Mapped[str] = mapped_column(Text, index=True, comment="SHA-256 of the file as received")
    rows: Mapped[int] = mapped_column(Integer)
    imported: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    report: Mapped[dict[str, object]] = mapped_column(JSONB)


class Debt(Base):
    """A tax debt payable with a billing code: from filing's STP or SKP, or imported from the legacy system. The
    source's own reference is unique per source, so a repeated event or a file imported twice records nothing new;
    an STP/SKP number is recorded once per taxpayer and KAP-KJS. `version` is the events' `sequence`."""

    __tablename__ = "debt"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'settled')", name="status"),
        CheckConstraint("kind IN ('stp', 'skpkb', 'skpkbt', 'spt_underpayment')", name="kind"),
        CheckConstraint("source IN ('stp', 'skp', 'legacy')", name="source"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("due_date >= issued_on", name="due_after_issue"),
        CheckConstraint("(status = 'settled') = (settled_at IS NOT NULL)", name="settled_at"),
        UniqueConstraint("source", "source_reference"),
        Index("debt_assessment_key", "npwp", "kap", "kjs", "assessment_number", unique=True,
              postgresql_where=text("assessment_number IS NOT NULL")),
        Index("debt_npwp_recorded_idx", "npwp", "recorded_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    npwp: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text)
    kap: Mapped[str] = mapped_column(Text)
    kjs: Mapped[str] = mapped_column(Text)
    period: Mapped[str | None] = mapped_column(Text, comment="the tax period it is for, when known")
    assessment_number: Mapped[str | None] = mapped_column(Text, comment="the STP/SKP number")
    amount: Mapped[Decimal] = mapped_column(MONEY)
    issued_on: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(Text, comment="stp, skp (filing's events) or legacy (the import)")
    source_reference: Mapped[str] = mapped_column(Text, comment="filing's STP/SKP id, or the legacy reference")
    import_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), ForeignKey("legacy_debt_import.id"))
    status: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    settled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ntpn: Mapped[str | None] = mapped_column(Text, comment="the payment that settled it")
    version: Mapped[int] = mapped_column(Integer)

    @property
    def kap_kjs(self) -> str:
        return f"{self.kap}-{self.kjs}"

    @property
    def legacy(self) -> bool:
        return self.source == "legacy"


class Payment(Base):
    """A bank's confirmed payment of one billing code, answered with an NTPN (tax-rules §4.2). One payment per code
    (`billing_id` unique); the bank's own reference is unique per bank, so a retried confirmation finds its payment."""

    __tablename__ = "payment"
    __table_args__ = (
        UniqueConstraint("bank_id", "bank_reference"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    ntpn: Mapped[str] = mapped_column(Text, unique=True)
    billing_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("billing.id"), unique=True)
    billing_code: Mapped[str] = mapped_column(Text, unique=True)
    npwp: Mapped[str] = mapped_column(Text, index=True)
    bank_id: Mapped[str] = mapped_column(Text, comment="the collecting bank's client id")
    bank_reference: Mapped[str] = mapped_column(Text)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    paid_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), comment="the bank's time: the payment date")
    confirmed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class LedgerAccount(Base):
    """A ledger account (TigerBeetle-style, see ledger/README.md). The id is a UUIDv5 of the key, so an account is
    opened by inserting its key and found without a lookup. No totals are stored: balances are sums of transfers."""

    __tablename__ = "account"
    __table_args__ = (
        CheckConstraint("kind IN ('taxpayer_liability', 'taxpayer_deposit', 'bank_settlement', 'state_revenue')",
                        name="kind"),
        Index("account_npwp_idx", "npwp", "created_at", "id", postgresql_where=text("npwp IS NOT NULL")),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    kind: Mapped[str] = mapped_column(Text)
    npwp: Mapped[str | None] = mapped_column(Text)
    kap_kjs: Mapped[str | None] = mapped_column(Text)
    period: Mapped[str | None] = mapped_column(Text)
    assessment_number: Mapped[str | None] = mapped_column(Text)
    bank_code: Mapped[str | None] = mapped_column(Text)
    ledger: Mapped[int] = mapped_column(Integer)
    code: Mapped[int] = mapped_column(Integer, comment="chart of accounts: 1100 liability, 2100 deposit, ...")
    flags: Mapped[int] = mapped_column(Integer, comment="payment.ledger.accounts.AccountFlag bits")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class LedgerTransfer(Base):
    """An immutable transfer: debits one account and credits another by the same positive amount. Its id, derived
    from the business key that caused it, is the idempotency of the posting: the primary key refuses a second one."""

    __tablename__ = "transfer"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("debit_account_id <> credit_account_id", name="accounts_differ"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    debit_account_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("account.id"), index=True)
    credit_account_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("account.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    ledger: Mapped[int] = mapped_column(Integer)
    code: Mapped[int] = mapped_column(SmallInteger, comment="payment.ledger.rules.TransferCode")
    reference: Mapped[str | None] = mapped_column(Text, comment="what caused it, e.g. the NTPN")
    effective_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), comment="legal date, e.g. paid_at")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


taxpayer = taxpayer_replica_table(Base.metadata)
outbox = outbox_table(Base.metadata)
inbox = inbox_table(Base.metadata)
idempotency_key = idempotency_table(Base.metadata)
metadata = Base.metadata
