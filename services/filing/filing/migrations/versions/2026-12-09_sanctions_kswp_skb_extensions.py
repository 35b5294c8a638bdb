"""Sanction run and STP kinds, KSWP snapshots and letters, SKB, annual extensions

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-09
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

AMOUNT = sa.Numeric(18, 2)
_LATE_FAKTUR = sa.text("reason = 'late_faktur'")
_LATE_PAYMENT = sa.text("reason = 'late_payment'")


def _now() -> sa.TextClause:
    return sa.text("now()")


def upgrade() -> None:
    # sanctions: interest STPs, late-faktur STPs, the run that issued an STP
    op.add_column("stp", sa.Column("principal", AMOUNT, nullable=True))
    op.add_column("stp", sa.Column("interest_months", sa.Integer(), nullable=True))
    op.add_column("stp", sa.Column("monthly_rate_percent", sa.Numeric(7, 4), nullable=True))
    op.add_column("stp", sa.Column("invoice_id", sa.Text(), nullable=True))
    op.add_column("stp", sa.Column("run_id", sa.UUID(), nullable=True))
    op.create_index("stp_late_faktur_idx", "stp", ["invoice_id"], unique=True, postgresql_where=_LATE_FAKTUR)
    op.create_index("stp_late_payment_idx", "stp", ["spt_id", "kap_kjs"], unique=True,
                    postgresql_where=_LATE_PAYMENT)
    op.create_table(
        "sanction_run",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("obligation", sa.Text(), nullable=False),
        sa.Column("period", sa.Text(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("run_on", sa.Date(), nullable=False),
        sa.Column("trigger", sa.Text(), nullable=False),
        sa.Column("officer_account_id", sa.Text(), nullable=True),
        sa.Column("issued", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.CheckConstraint("trigger IN ('officer', 'schedule')", name=op.f("sanction_run_trigger_check")),
        sa.PrimaryKeyConstraint("id", name=op.f("sanction_run_pkey")),
    )
    op.create_index("sanction_run_deadline_idx", "sanction_run", ["obligation", "period", "run_on"], unique=False)
    # obligations: the registry status of each taxpayer, annual extensions
    op.create_table(
        "taxpayer_status",
        sa.Column("taxpayer_id", sa.Text(), nullable=False),
        sa.Column("npwp", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("source_sequence", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.PrimaryKeyConstraint("taxpayer_id", name=op.f("taxpayer_status_pkey")),
    )
    op.create_index("taxpayer_status_npwp_idx", "taxpayer_status", ["npwp"], unique=False)
    op.create_table(
        "annual_extension",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("npwp", sa.Text(), nullable=False),
        sa.Column("form", sa.Text(), nullable=False),
        sa.Column("period", sa.Text(), nullable=False),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("original_due_date", sa.Date(), nullable=False),
        sa.Column("nominal_due_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("requested_on", sa.Date(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("requested_by", sa.Text(), nullable=False),
        sa.CheckConstraint("months BETWEEN 1 AND 2", name=op.f("annual_extension_months_check")),
        sa.CheckConstraint("form IN ('spt_tahunan_op', 'spt_tahunan_badan')",
                           name=op.f("annual_extension_form_check")),
        sa.PrimaryKeyConstraint("id", name=op.f("annual_extension_pkey")),
    )
    op.create_index("annual_extension_return_idx", "annual_extension", ["npwp", "form", "period"], unique=True)
    # kswp: one snapshot per request
    op.execute("CREATE SEQUENCE kswp_number_seq")
    op.create_table(
        "kswp_snapshot",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("letter_number", sa.Text(), nullable=False),
        sa.Column("verification_code", sa.Text(), nullable=False),
        sa.Column("npwp", sa.Text(), nullable=False),
        sa.Column("agency_client_id", sa.Text(), nullable=False),
        sa.Column("variant", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("snapshot", sa.Text(), nullable=False),
        sa.Column("digest", sa.Text(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.CheckConstraint("variant IN ('standard', 'customs')", name=op.f("kswp_snapshot_variant_check")),
        sa.CheckConstraint("status IN ('valid', 'invalid')", name=op.f("kswp_snapshot_status_check")),
        sa.PrimaryKeyConstraint("id", name=op.f("kswp_snapshot_pkey")),
        sa.UniqueConstraint("letter_number", name=op.f("kswp_snapshot_letter_number_key")),
        sa.UniqueConstraint("verification_code", name=op.f("kswp_snapshot_verification_code_key")),
    )
    op.create_index("kswp_snapshot_npwp_idx", "kswp_snapshot", ["npwp"], unique=False)
    # skb: applications and their SKB
    op.execute("CREATE SEQUENCE skb_number_seq")
    op.create_table(
        "skb_application",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("npwp", sa.Text(), nullable=False),
        sa.Column("tax", sa.Text(), nullable=False),
        sa.Column("ground", sa.Text(), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("tax_year", sa.Integer(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("decision_due", sa.Date(), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("applicant_account_id", sa.Text(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("officer_account_id", sa.Text(), nullable=True),
        sa.Column("rejection_reason", sa.Text(), nullable=True),
        sa.Column("number", sa.Text(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("revision", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.CheckConstraint("tax IN ('pph21', 'pph22', 'pph23')", name=op.f("skb_application_tax_check")),
        sa.CheckConstraint("ground IN ('fiscal_loss', 'loss_carry_forward', 'prepaid_exceeds_due', "
                           "'final_income_only')", name=op.f("skb_application_ground_check")),
        sa.CheckConstraint("status IN ('submitted', 'approved', 'rejected')",
                           name=op.f("skb_application_status_check")),
        sa.PrimaryKeyConstraint("id", name=op.f("skb_application_pkey")),
        sa.UniqueConstraint("number", name=op.f("skb_application_number_key")),
    )
    op.create_index("skb_application_npwp_idx", "skb_application", ["npwp"], unique=False)


def downgrade() -> None:
    op.drop_index("skb_application_npwp_idx", table_name="skb_application")
    op.drop_table("skb_application")
    op.execute("DROP SEQUENCE skb_number_seq")
    op.drop_index("kswp_snapshot_npwp_idx", table_name="kswp_snapshot")
    op.drop_table("kswp_snapshot")
    op.execute("DROP SEQUENCE kswp_number_seq")
    op.drop_index("annual_extension_return_idx", table_name="annual_extension")
    op.drop_table("annual_extension")
    op.drop_index("taxpayer_status_npwp_idx", table_name="taxpayer_status")
    op.drop_table("taxpayer_status")
    op.drop_index("sanction_run_deadline_idx", table_name="sanction_run")
    op.drop_table("sanction_run")
    op.drop_index("stp_late_payment_idx", table_name="stp", postgresql_where=_LATE_PAYMENT)
    op.drop_index("stp_late_faktur_idx", table_name="stp", postgresql_where=_LATE_FAKTUR)
    for column in ("run_id", "invoice_id", "monthly_rate_percent", "interest_months", "principal"):
        op.drop_column("stp", column)
