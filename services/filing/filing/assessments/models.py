"""Tables of the assessments slice: audits of a taxpayer's period (UU KUP Art 3(7)(d) and Art 8(1) read when one
started) and the assessments (SKP) issued on them."""

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    Sequence,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import UUID

from filing.models import metadata

AMOUNT = Numeric(18, 2)

audit = Table(
    "audit", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("npwp", Text, nullable=False),
    Column("period", Text, nullable=False),
    Column("form", Text),  # null: every tax of the period is audited
    Column("audit_type", Text, nullable=False),  # field | office
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("closed_at", DateTime(timezone=True)),
    Column("officer_account_id", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("outcome", Text),  # set when closed
    Column("closed_by_account_id", Text),
    Column("revision", Integer, nullable=False, server_default=text("1")),  # sequence of AuditStarted/AuditClosed
    CheckConstraint("audit_type IN ('field', 'office')", name="audit_type"),
    CheckConstraint("outcome IN ('assessed', 'no_findings', 'stopped')", name="outcome"),
    Index("audit_npwp_period_idx", "npwp", "period"),
)

# SKP numbers: <kind>-<year of issue>-<serial>, the serial from this sequence.
skp_number_seq = Sequence("skp_number_seq", metadata=metadata)

skp = Table(
    "skp", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("number", Text, nullable=False, unique=True),
    Column("audit_id", UUID(as_uuid=True), ForeignKey("audit.id"), nullable=False),
    Column("npwp", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("form", Text, nullable=False),
    Column("period", Text, nullable=False),
    Column("principal", AMOUNT, nullable=False),  # underpaid (SKPKB/SKPKBT) or overpaid (SKPLB)
    Column("interest", AMOUNT, nullable=False),  # Art 13(2)
    Column("interest_months", Integer, nullable=False),
    Column("monthly_rate_percent", AMOUNT),
    Column("increase", AMOUNT, nullable=False),  # kenaikan, as the officer sets it
    Column("total", AMOUNT, nullable=False),
    Column("kap_kjs", Text),  # when there is something to pay
    Column("issued_on", Date, nullable=False),
    Column("due_date", Date),
    Column("reasoning", Text, nullable=False),
    Column("officer_account_id", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("kind IN ('SKPKB', 'SKPKBT', 'SKPLB', 'SKPN')", name="kind"),
    Index("skp_npwp_period_idx", "npwp", "period"),
    Index("skp_audit_id_idx", "audit_id"),
)
