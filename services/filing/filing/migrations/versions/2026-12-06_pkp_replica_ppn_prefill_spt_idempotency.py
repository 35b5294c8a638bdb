"""PKP status replica, SPT Masa PPN prefill (invoice facts and per-period aggregates), SPT returns, idempotency keys

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

from kit.idempotency import create_idempotency_table, drop_idempotency_table

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

AMOUNT = sa.Numeric(18, 2)
TOTAL = sa.Numeric(20, 2)


def _zero() -> sa.TextClause:
    return sa.text("0")


def upgrade() -> None:
    op.create_table(
        "pkp_status_change",
        sa.Column("taxpayer_id", sa.Text(), nullable=False),
        sa.Column("source_sequence", sa.BigInteger(), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("is_pkp", sa.Boolean(), nullable=False),
        sa.Column("npwp", sa.Text(), nullable=False),
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("taxpayer_id", "source_sequence", "effective_date", "is_pkp",
                                name=op.f("pkp_status_change_pkey")),
    )
    op.create_table(
        "ppn_invoice",
        sa.Column("invoice_id", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("seller_npwp", sa.Text(), nullable=False),
        sa.Column("buyer_npwp", sa.Text(), nullable=True),
        sa.Column("transaction_code", sa.Text(), nullable=False),
        sa.Column("period", sa.Text(), nullable=True),
        sa.Column("dpp", AMOUNT, server_default=_zero(), nullable=False),
        sa.Column("dpp_other", AMOUNT, server_default=_zero(), nullable=False),
        sa.Column("ppn", AMOUNT, server_default=_zero(), nullable=False),
        sa.Column("ppnbm", AMOUNT, server_default=_zero(), nullable=False),
        sa.Column("replaced_by", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("state IN ('pending', 'signed', 'cancelled', 'replaced')",
                           name=op.f("ppn_invoice_state_check")),
        sa.PrimaryKeyConstraint("invoice_id", name=op.f("ppn_invoice_pkey")),
    )
    op.create_table(
        "ppn_return",
        sa.Column("return_id", sa.Text(), nullable=False),
        sa.Column("invoice_id", sa.Text(), nullable=False),
        sa.Column("seller_npwp", sa.Text(), nullable=False),
        sa.Column("buyer_npwp", sa.Text(), nullable=False),
        sa.Column("period", sa.Text(), nullable=False),
        sa.Column("transaction_code", sa.Text(), nullable=False),
        sa.Column("dpp", AMOUNT, nullable=False),
        sa.Column("dpp_other", AMOUNT, nullable=False),
        sa.Column("ppn", AMOUNT, nullable=False),
        sa.Column("ppnbm", AMOUNT, nullable=False),
        sa.Column("seller_counted", sa.Boolean(), nullable=False),
        sa.Column("buyer_counted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("return_id", name=op.f("ppn_return_pkey")),
    )
    op.create_index("ppn_return_invoice_id_idx", "ppn_return", ["invoice_id"], unique=False)
    op.create_table(
        "ppn_input_credit",
        sa.Column("invoice_id", sa.Text(), nullable=False),
        sa.Column("buyer_npwp", sa.Text(), nullable=False),
        sa.Column("seller_npwp", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("period", sa.Text(), nullable=False),
        sa.Column("invoice_period", sa.Text(), nullable=False),
        sa.Column("ppn", AMOUNT, nullable=False),
        sa.Column("ppnbm", AMOUNT, nullable=False),
        sa.Column("counted", sa.Boolean(), nullable=False),
        sa.CheckConstraint("action IN ('credit', 'reject')", name=op.f("ppn_input_credit_action_check")),
        sa.PrimaryKeyConstraint("invoice_id", name=op.f("ppn_input_credit_pkey")),
    )
    op.create_table(
        "ppn_output",
        sa.Column("npwp", sa.Text(), nullable=False),
        sa.Column("period", sa.Text(), nullable=False),
        sa.Column("transaction_code", sa.Text(), nullable=False),
        sa.Column("invoices", sa.Integer(), server_default=_zero(), nullable=False),
        sa.Column("dpp", TOTAL, server_default=_zero(), nullable=False),
        sa.Column("dpp_other", TOTAL, server_default=_zero(), nullable=False),
        sa.Column("ppn", TOTAL, server_default=_zero(), nullable=False),
        sa.Column("ppnbm", TOTAL, server_default=_zero(), nullable=False),
        sa.Column("returns", sa.Integer(), server_default=_zero(), nullable=False),
        sa.Column("returned_dpp", TOTAL, server_default=_zero(), nullable=False),
        sa.Column("returned_dpp_other", TOTAL, server_default=_zero(), nullable=False),
        sa.Column("returned_ppn", TOTAL, server_default=_zero(), nullable=False),
        sa.Column("returned_ppnbm", TOTAL, server_default=_zero(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("npwp", "period", "transaction_code", name=op.f("ppn_output_pkey")),
    )
    op.create_table(
        "ppn_input",
        sa.Column("npwp", sa.Text(), nullable=False),
        sa.Column("period", sa.Text(), nullable=False),
        sa.Column("credited_invoices", sa.Integer(), server_default=_zero(), nullable=False),
        sa.Column("credited_ppn", TOTAL, server_default=_zero(), nullable=False),
        sa.Column("returns", sa.Integer(), server_default=_zero(), nullable=False),
        sa.Column("returned_ppn", TOTAL, server_default=_zero(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("npwp", "period", name=op.f("ppn_input_pkey")),
    )
    op.create_table(
        "spt",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("npwp", sa.Text(), nullable=False),
        sa.Column("form", sa.Text(), nullable=False),
        sa.Column("period", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("other_input_ppn", AMOUNT, server_default=_zero(), nullable=False),
        sa.Column("compensation", AMOUNT, server_default=_zero(), nullable=False),
        sa.Column("revision", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('draft', 'awaiting_payment', 'filed')", name=op.f("spt_status_check")),
        sa.CheckConstraint("version >= 0", name=op.f("spt_version_check")),
        sa.PrimaryKeyConstraint("id", name=op.f("spt_pkey")),
        sa.UniqueConstraint("npwp", "form", "period", "version", name=op.f("spt_npwp_form_period_version_key")),
    )
    op.create_index("spt_open_idx", "spt", ["npwp", "form", "period"], unique=True,
                    postgresql_where=sa.text("status <> 'filed'"))
    create_idempotency_table()


def downgrade() -> None:
    drop_idempotency_table()
    op.drop_index("spt_open_idx", table_name="spt", postgresql_where=sa.text("status <> 'filed'"))
    op.drop_table("spt")
    op.drop_table("ppn_input")
    op.drop_table("ppn_output")
    op.drop_table("ppn_input_credit")
    op.drop_index("ppn_return_invoice_id_idx", table_name="ppn_return")
    op.drop_table("ppn_return")
    op.drop_table("ppn_invoice")
    op.drop_table("pkp_status_change")

