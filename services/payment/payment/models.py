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
    Sequence,
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
from kit.ratelimit import client_rate_table
from kit.replica import taxpayer_replica_table
from kit.webhooks import webhook_delivery_table

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
        CheckConstraint("instalment_number IS NULL OR (debt_id IS NOT NULL AND instalment_number >= 1)",
                        name="instalment_link"),
        CheckConstraint("(nop IS NULL) = (transfer_value IS NULL) AND (nop IS NULL) = (buyer_id IS NULL)",
                        name="phtb_transfer"),
        Index("billing_due_idx", "expires_at", postgresql_where=text("status = 'active'")),
        Index("billing_npwp_created_idx", "npwp", "created_at"),
        # One payable code per SPT and KAP-KJS at a time (a redelivered or repeated request makes no second one).
        Index("billing_spt_open_key", "spt_id", "kap", "kjs", unique=True,
              postgresql_where=text("spt_id IS NOT NULL AND status <> 'expired'")),
        # One payable or paid code per debt (for the whole debt), and per instalment of it: never paid twice.
        Index("billing_debt_open_key", "debt_id", unique=True,
              postgresql_where=text("debt_id IS NOT NULL AND instalment_number IS NULL AND status <> 'expired'")),
        Index("billing_instalment_open_key", "debt_id", "instalment_number", unique=True,
              postgresql_where=text("instalment_number IS NOT NULL AND status <> 'expired'")),
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
    instalment_number: Mapped[int | None] = mapped_column(Integer, comment="the instalment of the debt it pays")
    status: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(Text, comment="token subject, or the event that caused it")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer)
    # A PPh PHTB code (411128-402, PP 34/2016) names the transfer it pays: the property, its gross value, the buyer.
    nop: Mapped[str | None] = mapped_column(Text, comment="PHTB: the property's NOP (18 digits)")
    transfer_value: Mapped[Decimal | None] = mapped_column(MONEY, comment="PHTB: the gross transfer value")
    buyer_id: Mapped[str | None] = mapped_column(Text, comment="PHTB: the buyer's NPWP16 or NIK")

    @property
    def kap_kjs(self) -> str:
        return f"{self.kap}-{self.kjs}"


class LegacyDebtImport(Base):
    """One file of the legacy debt import, with its reconciliation report (what `POST` answered)."""

    __tablename__ = "legacy_debt_import"
    __table_args__ = (
        Index("legacy_debt_import_events_pending_idx", "created_at", postgresql_where=text("events_done_at IS NULL")),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    file_digest: Mapped[str] = mapped_column(Text, index=True, comment="SHA-256 of the file as received")
    rows: Mapped[int] = mapped_column(Integer)
    imported: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    report: Mapped[dict[str, object]] = mapped_column(JSONB)
    # The imported debts' `DebtRecorded` events are written after the import commits (`debts.service.
    # write_imported_debt_events`, a worker step), a batch per transaction, in debt id order.
    events_template: Mapped[dict[str, object] | None] = mapped_column(
        JSONB, comment="the outbox row (payload, headers, topic) the import's DebtRecorded events share")
    events_after: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), comment="the last debt (in id order) whose event is written")
    events_written: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    events_done_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True),
        comment="when the last of its DebtRecorded events was written; null while the worker writes them")


class Debt(Base):
    """A tax debt payable with a billing code: from filing's STP or SKP, imported from the legacy system, or an
    annual SPT's PPh 29 granted in instalments (the SPT's code replaced by the debt). The
    source's own reference is unique per source, so a repeated event or a file imported twice records nothing new;
    an STP/SKP number is recorded once per taxpayer and KAP-KJS. `version` is the events' `sequence`."""

    __tablename__ = "debt"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'settled')", name="status"),
        CheckConstraint("kind IN ('stp', 'skpkb', 'skpkbt', 'spt_underpayment')", name="kind"),
        CheckConstraint("source IN ('stp', 'skp', 'legacy', 'spt')", name="source"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("due_date >= issued_on", name="due_after_issue"),
        CheckConstraint("(status = 'settled') = (settled_at IS NOT NULL)", name="settled_at"),
        CheckConstraint("outstanding >= 0 AND (status = 'settled') = (outstanding = 0)", name="outstanding"),
        UniqueConstraint("source", "source_reference"),
        Index("debt_assessment_key", "npwp", "kap", "kjs", "assessment_number", unique=True,
              postgresql_where=text("assessment_number IS NOT NULL")),
        Index("debt_npwp_recorded_idx", "npwp", "recorded_at", "id"),
        Index("debt_interest_due_idx", "interest_next_on",
              postgresql_where=text("status = 'open' AND interest_next_on IS NOT NULL")),
        Index("debt_import_idx", "import_id", "id", postgresql_where=text("import_id IS NOT NULL")),
        Index("debt_interest_waiting_idx", "interest_waiting_month",
              postgresql_where=text("status = 'open' AND interest_waiting_month IS NOT NULL")),
        CheckConstraint("EXTRACT(DAY FROM interest_waiting_month) = 1", name="interest_waiting_month_first_day"),
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
    source: Mapped[str] = mapped_column(Text, comment="stp, skp (filing's events), legacy (the import) or spt "
                                                      "(an SPT's PPh 29 granted in instalments)")
    source_reference: Mapped[str] = mapped_column(Text, comment="filing's STP/SKP/SPT id, or the legacy reference")
    import_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), ForeignKey("legacy_debt_import.id"))
    status: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    settled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ntpn: Mapped[str | None] = mapped_column(Text, comment="the payment that settled it")
    version: Mapped[int] = mapped_column(Integer)
    outstanding: Mapped[Decimal] = mapped_column(
        MONEY, comment="still owed: the amount, plus instalment interest granted, less what paid it")
    interest_principal: Mapped[Decimal] = mapped_column(MONEY, comment="what Art 19 interest runs on")
    interest_from: Mapped[date] = mapped_column(Date, comment="when Art 19 interest starts: the due date, or the "
                                                               "missed instalment's when the remainder fell due")
    interest_next_on: Mapped[date | None] = mapped_column(
        Date, comment="the day another month of Art 19 interest counts (null: none runs, e.g. in instalments)")
    interest_waiting_month: Mapped[date | None] = mapped_column(
        Date, comment="the first day of the month whose KMK rate Art 19 interest waits for (published: re-armed)")
    interest_months: Mapped[int] = mapped_column(Integer, comment="months of Art 19 interest reported so far")
    interest_accrued: Mapped[Decimal] = mapped_column(MONEY, comment="Art 19 interest reported so far")

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


class PHTBValidation(Base):
    """A request to validate the PPh final on a transfer of land or buildings (PP 34/2016), and its outcome: the
    Surat Keterangan Validasi (`number`, from `phtb_validation_number_seq`) once validated, by the rules at once or by
    an officer. An NTPN validates one transfer: `phtb_validation_ntpn_key`. `version` is the events' `sequence`."""

    __tablename__ = "phtb_validation"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'validated', 'rejected')", name="status"),
        CheckConstraint("requester_kind IN ('taxpayer', 'ppat')", name="requester_kind"),
        CheckConstraint("(status = 'validated') = (number IS NOT NULL)", name="number"),
        CheckConstraint("(status = 'pending') = (decided_at IS NULL)", name="decided"),
        CheckConstraint("gross_value > 0", name="gross_value_positive"),
        Index("phtb_validation_ntpn_key", "ntpn", unique=True, postgresql_where=text("status = 'validated'")),
        Index("phtb_validation_nop_idx", "nop", "ntpn"),
        Index("phtb_validation_queue_idx", "requested_at", "id", postgresql_where=text("status = 'pending'")),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    number: Mapped[str | None] = mapped_column(Text, unique=True, comment="Surat Keterangan Validasi number")
    status: Mapped[str] = mapped_column(Text)
    nop: Mapped[str] = mapped_column(Text)
    seller_npwp: Mapped[str] = mapped_column(Text, index=True)
    buyer_id: Mapped[str] = mapped_column(Text)
    gross_value: Mapped[Decimal] = mapped_column(MONEY)
    category: Mapped[str] = mapped_column(Text)
    rate_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    tax_amount: Mapped[Decimal] = mapped_column(MONEY)
    ntpn: Mapped[str | None] = mapped_column(Text, comment="the payment; none for a 0% transfer")
    billing_code: Mapped[str | None] = mapped_column(Text)
    reasons: Mapped[list[dict[str, object]]] = mapped_column(JSONB, comment="why an officer has to decide")
    requester_kind: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(Text, comment="the person, or the PPAT's client id")
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(Text, comment="rules or officer")
    officer_id: Mapped[str | None] = mapped_column(Text)
    decision_note: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer)


phtb_validation_number_seq = Sequence("phtb_validation_number_seq", metadata=Base.metadata)


class LandOfficeSubscription(Base):
    """Where a land office (a machine client) receives each new validation, signed with its client's key.
    `nop_prefixes` narrows it to its region (NOP's first digits: province, regency); empty means every NOP."""

    __tablename__ = "land_office_subscription"

    client_id: Mapped[str] = mapped_column(Text, primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    nop_prefixes: Mapped[list[str]] = mapped_column(JSONB)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class InstalmentArrangement(Base):
    """An application for instalments or a postponement of a debt (tax-rules §6.5), and once granted its schedule
    (`instalment` rows). One pending or granted application per debt. An application for an annual SPT's PPh 29
    names the SPT waiting for payment (`spt_id`, and `spt_billing_id` its code): its debt is recorded from the SPT's
    code when granted, so `debt_id` is empty until then. `version` is the events' `sequence`."""

    __tablename__ = "instalment_arrangement"
    __table_args__ = (
        CheckConstraint("status IN ('applied', 'granted', 'rejected', 'accelerated', 'completed')", name="status"),
        CheckConstraint("kind IN ('instalment', 'postponement')", name="kind"),
        CheckConstraint("debt_kind IN ('pph29', 'assessment')", name="debt_kind"),
        CheckConstraint("instalments >= 1", name="instalments_positive"),
        CheckConstraint("debt_id IS NOT NULL OR spt_id IS NOT NULL", name="subject"),
        CheckConstraint("status IN ('applied', 'rejected') OR debt_id IS NOT NULL", name="granted_debt"),
        CheckConstraint("(spt_id IS NULL) = (spt_billing_id IS NULL)", name="spt_link"),
        Index("instalment_arrangement_debt_key", "debt_id", unique=True,
              postgresql_where=text("status IN ('applied', 'granted')")),
        Index("instalment_arrangement_spt_key", "spt_id", unique=True,
              postgresql_where=text("spt_id IS NOT NULL AND status IN ('applied', 'granted')")),
        Index("instalment_arrangement_queue_idx", "decide_by", "id", postgresql_where=text("status = 'applied'")),
        Index("instalment_arrangement_npwp_idx", "npwp", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    debt_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), ForeignKey("debt.id"),
                                                      comment="empty while an SPT's PPh 29 application waits")
    spt_id: Mapped[str | None] = mapped_column(Text, comment="filing's SPT whose PPh 29 the application is for")
    spt_billing_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("billing.id"),
        comment="the SPT's code applied against; once granted, the code the debt replaced")
    npwp: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text)
    debt_kind: Mapped[str] = mapped_column(Text, comment="pph29 (3 working days to decide) or assessment (7)")
    instalments: Mapped[int] = mapped_column(Integer)
    first_due_date: Mapped[date | None] = mapped_column(Date, comment="asked for: the first (or postponed) payment")
    reason: Mapped[str] = mapped_column(Text, comment="the taxpayer's grounds")
    status: Mapped[str] = mapped_column(Text)
    received_on: Mapped[date] = mapped_column(Date)
    decide_by: Mapped[date] = mapped_column(Date, comment="received_on + 3 or 7 working days")
    principal: Mapped[Decimal] = mapped_column(MONEY, comment="what the debt owed when applied for")
    monthly_rate_percent: Mapped[Decimal | None] = mapped_column(Numeric(6, 3))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(Text)
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    accelerated_on: Mapped[date | None] = mapped_column(Date, comment="the missed instalment's due date")
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer)


class Instalment(Base):
    """One payment of a granted schedule, payable with its own billing code (`billing.instalment_number`)."""

    __tablename__ = "instalment"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'paid', 'cancelled')", name="status"),
        CheckConstraint("principal > 0 AND interest >= 0", name="amounts"),
        UniqueConstraint("arrangement_id", "number"),
        Index("instalment_open_due_idx", "due_date", postgresql_where=text("status = 'open'")),  # the reminders
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    arrangement_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("instalment_arrangement.id"))
    number: Mapped[int] = mapped_column(Integer)
    due_date: Mapped[date] = mapped_column(Date)
    principal: Mapped[Decimal] = mapped_column(MONEY)
    interest: Mapped[Decimal] = mapped_column(MONEY)
    status: Mapped[str] = mapped_column(Text, comment="cancelled: its interest never ran (the remainder fell due)")
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ntpn: Mapped[str | None] = mapped_column(Text)

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest


class DepositMovement(Base):
    """Money leaving a taxpayer's deposit (tax-rules §4.4): an allocation to a liability, a transfer to another
    taxpayer's deposit, or a refund (requested, then approved or rejected by an officer). Top-ups are payments."""

    __tablename__ = "deposit_movement"
    __table_args__ = (
        CheckConstraint("kind IN ('allocation', 'transfer', 'refund')", name="kind"),
        CheckConstraint("status IN ('requested', 'done', 'rejected')", name="status"),
        CheckConstraint("amount > 0", name="amount_positive"),
        Index("deposit_movement_npwp_idx", "npwp", "created_at", "id"),
        Index("deposit_movement_refund_queue_idx", "created_at", "id",
              postgresql_where=text("kind = 'refund' AND status = 'requested'")),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    npwp: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    debt_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), ForeignKey("debt.id"))
    kap_kjs: Mapped[str | None] = mapped_column(Text)
    period: Mapped[str | None] = mapped_column(Text)
    assessment_number: Mapped[str | None] = mapped_column(Text)
    to_npwp: Mapped[str | None] = mapped_column(Text, comment="a transfer's recipient")
    bank_code: Mapped[str | None] = mapped_column(Text, comment="a refund's bank")
    account_number: Mapped[str | None] = mapped_column(Text, comment="a refund's bank account")
    deemed_paid_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), comment="an allocation's deposit date, which counts as the payment date")
    reason: Mapped[str | None] = mapped_column(Text, comment="a refund's rejection reason")
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class BillingReminder(Base):
    """A reminder sent that a code expires soon (`BillingExpiryApproaching`): one per code, ever."""

    __tablename__ = "billing_reminder"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, comment="the event's reminder_id")
    billing_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("billing.id"), unique=True)
    npwp: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class InstalmentReminder(Base):
    """A reminder sent that an instalment is due soon (`InstalmentDueApproaching`): one per instalment, ever."""

    __tablename__ = "instalment_reminder"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, comment="the event's reminder_id")
    instalment_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("instalment.id"), unique=True)
    npwp: Mapped[str] = mapped_column(Text)
    due_date: Mapped[date] = mapped_column(Date)
    days_left: Mapped[int] = mapped_column(Integer)
    sent_on: Mapped[date] = mapped_column(Date, comment="the Jakarta day it was sent")
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


taxpayer = taxpayer_replica_table(Base.metadata)
outbox = outbox_table(Base.metadata)
inbox = inbox_table(Base.metadata)
idempotency_key = idempotency_table(Base.metadata)
client_rate = client_rate_table(Base.metadata)  # PJAP clients' rates, shared by the API replicas
webhook_delivery = webhook_delivery_table(Base.metadata)  # kit.webhooks: the land office's validations
metadata = Base.metadata
