"""Tables of the SKB slice: one row per application, and its SKB once approved."""

from sqlalchemy import CheckConstraint, Column, Date, DateTime, Index, Integer, Sequence, Table, Text, text
from sqlalchemy.dialects.postgresql import UUID

from filing.models import metadata

skb_number_seq = Sequence("skb_number_seq", metadata=metadata)

skb_application = Table(
    "skb_application", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("npwp", Text, nullable=False),
    Column("tax", Text, nullable=False),  # pph21, pph22, pph23
    Column("ground", Text, nullable=False),  # PER-8/PJ/2025 Art 70 (a)-(d)
    Column("statement", Text, nullable=False),
    Column("tax_year", Integer, nullable=False),
    Column("status", Text, nullable=False),
    Column("received_on", Date, nullable=False),
    Column("decision_due", Date, nullable=False),  # 5 working days after receipt
    Column("applied_at", DateTime(timezone=True), nullable=False),
    Column("applicant_account_id", Text, nullable=False),
    Column("decided_at", DateTime(timezone=True)),
    Column("officer_account_id", Text),
    Column("rejection_reason", Text),
    Column("number", Text, unique=True),  # the SKB's, once approved
    Column("valid_from", Date),
    Column("valid_until", Date),
    Column("revision", Integer, nullable=False, server_default=text("1")),
    CheckConstraint("tax IN ('pph21', 'pph22', 'pph23')", name="tax"),
    CheckConstraint("ground IN ('fiscal_loss', 'loss_carry_forward', 'prepaid_exceeds_due', 'final_income_only')",
                    name="ground"),
    CheckConstraint("status IN ('submitted', 'approved', 'rejected')", name="status"),
    Index("skb_application_npwp_idx", "npwp"),
)
