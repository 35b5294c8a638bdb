"""Submission of returns (signed content, payments awaited, receipts, signing certificates), STPs, audits (minimal)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

AMOUNT = sa.Numeric(18, 2)
_RETURN_FINE = sa.text("reason IN ('late_filing', 'not_filed')")


def _now() -> sa.TextClause:
    return sa.text("now()")


def upgrade() -> None:
    op.create_table(
        "spt_submission",
        sa.Column("spt_id", sa.UUID(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("content_digest", sa.Text(), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.Column("certificate_serial", sa.Text(), nullable=False),
        sa.Column("credential_id", sa.UUID(), nullable=False),
        sa.Column("signer_account_id", sa.Text(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("amount_payable", AMOUNT, nullable=False),
        sa.Column("overpayment", AMOUNT, nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.CheckConstraint("outcome IN ('kurang_bayar', 'lebih_bayar', 'nihil')",
                           name=op.f("spt_submission_outcome_check")),
        sa.ForeignKeyConstraint(["spt_id"], ["spt.id"], name=op.f("spt_submission_spt_id_fkey")),
        sa.PrimaryKeyConstraint("spt_id", name=op.f("spt_submission_pkey")),
    )
    op.create_table(
        "spt_payment",
        sa.Column("spt_id", sa.UUID(), nullable=False),
        sa.Column("kap_kjs", sa.Text(), nullable=False),
        sa.Column("amount", AMOUNT, nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("payment_due_date", sa.Date(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("billing_code", sa.Text(), nullable=True),
        sa.Column("ntpn", sa.Text(), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("payment_id", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.CheckConstraint("status IN ('requested', 'paid', 'expired')", name=op.f("spt_payment_status_check")),
        sa.ForeignKeyConstraint(["spt_id"], ["spt.id"], name=op.f("spt_payment_spt_id_fkey")),
        sa.PrimaryKeyConstraint("spt_id", "kap_kjs", name=op.f("spt_payment_pkey")),
    )
    op.create_table(
        "spt_receipt",
        sa.Column("number", sa.Text(), nullable=False),
        sa.Column("spt_id", sa.UUID(), nullable=False),
        sa.Column("npwp", sa.Text(), nullable=False),
        sa.Column("form", sa.Text(), nullable=False),
        sa.Column("period", sa.Text(), nullable=False),
        sa.Column("spt_version", sa.Integer(), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("content_digest", sa.Text(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("billing_code", sa.Text(), nullable=True),
        sa.Column("ntpn", sa.Text(), nullable=True),
        sa.Column("payment_date", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["spt_id"], ["spt.id"], name=op.f("spt_receipt_spt_id_fkey")),
        sa.PrimaryKeyConstraint("number", name=op.f("spt_receipt_pkey")),
        sa.UniqueConstraint("spt_id", name=op.f("spt_receipt_spt_id_key")),
    )
    op.create_table(
        "signing_certificate",
        sa.Column("serial", sa.Text(), nullable=False),
        sa.Column("certificate_pem", sa.Text(), nullable=False),
        sa.Column("subject_name", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.PrimaryKeyConstraint("serial", name=op.f("signing_certificate_pkey")),
    )
    op.execute("CREATE SEQUENCE stp_number_seq")
    op.create_table(
        "stp",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("number", sa.Text(), nullable=False),
        sa.Column("npwp", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("basis", sa.Text(), nullable=False),
        sa.Column("kap_kjs", sa.Text(), nullable=False),
        sa.Column("amount", AMOUNT, nullable=False),
        sa.Column("form", sa.Text(), nullable=True),
        sa.Column("period", sa.Text(), nullable=True),
        sa.Column("spt_id", sa.UUID(), nullable=True),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.CheckConstraint("reason IN ('late_filing', 'not_filed', 'late_payment', 'correction_interest', "
                           "'late_faktur')", name=op.f("stp_reason_check")),
        sa.CheckConstraint("amount > 0", name=op.f("stp_amount_check")),
        sa.PrimaryKeyConstraint("id", name=op.f("stp_pkey")),
        sa.UniqueConstraint("number", name=op.f("stp_number_key")),
    )
    op.create_index("stp_return_fine_idx", "stp", ["npwp", "form", "period"], unique=True,
                    postgresql_where=_RETURN_FINE)
    op.create_index("stp_spt_id_idx", "stp", ["spt_id"], unique=False)
    op.create_table(
        "audit",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("npwp", sa.Text(), nullable=False),
        sa.Column("period", sa.Text(), nullable=False),
        sa.Column("form", sa.Text(), nullable=True),
        sa.Column("audit_type", sa.Text(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("officer_account_id", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("audit_pkey")),
    )
    op.create_index("audit_npwp_period_idx", "audit", ["npwp", "period"], unique=False)


def downgrade() -> None:
    op.drop_index("audit_npwp_period_idx", table_name="audit")
    op.drop_table("audit")
    op.drop_index("stp_spt_id_idx", table_name="stp")
    op.drop_index("stp_return_fine_idx", table_name="stp", postgresql_where=_RETURN_FINE)
    op.drop_table("stp")
    op.execute("DROP SEQUENCE stp_number_seq")
    op.drop_table("signing_certificate")
    op.drop_table("spt_receipt")
    op.drop_table("spt_payment")
    op.drop_table("spt_submission")
