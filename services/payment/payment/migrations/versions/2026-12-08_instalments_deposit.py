"""Instalments and postponement, deposit allocation, transfer and refund, Art 19 interest on debts

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

MONEY = sa.Numeric(18, 2)


def upgrade() -> None:
    # -- debts: what is still owed, and Art 19 interest reported so far ------------------------------------------
    op.add_column("debt", sa.Column("outstanding", MONEY, nullable=True, comment=(
        "still owed: the amount, plus instalment interest granted, less what paid it")))
    op.add_column("debt", sa.Column("interest_principal", MONEY, nullable=True,
                                    comment="what Art 19 interest runs on"))
    op.add_column("debt", sa.Column("interest_from", sa.Date(), nullable=True, comment=(
        "when Art 19 interest starts: the due date, or the missed instalment's when the remainder fell due")))
    op.add_column("debt", sa.Column("interest_next_on", sa.Date(), nullable=True, comment=(
        "the day another month of Art 19 interest counts (null: none runs, e.g. in instalments)")))
    op.add_column("debt", sa.Column("interest_months", sa.Integer(), nullable=True,
                                    comment="months of Art 19 interest reported so far"))
    op.add_column("debt", sa.Column("interest_accrued", MONEY, nullable=True,
                                    comment="Art 19 interest reported so far"))
    op.execute("UPDATE debt SET outstanding = CASE WHEN status = 'open' THEN amount ELSE 0 END, "
               "interest_principal = amount, interest_from = due_date, "
               "interest_next_on = CASE WHEN status = 'open' THEN due_date + 1 END, "
               "interest_months = 0, interest_accrued = 0")
    for column in ("outstanding", "interest_principal", "interest_from", "interest_months", "interest_accrued"):
        op.alter_column("debt", column, nullable=False)
    op.create_check_constraint(op.f("debt_outstanding_check"), "debt",
                               "outstanding >= 0 AND (status = 'settled') = (outstanding = 0)")
    op.create_index("debt_interest_due_idx", "debt", ["interest_next_on"],
                    postgresql_where=sa.text("status = 'open' AND interest_next_on IS NOT NULL"))

    # -- billing: a code may pay one instalment of a debt ----------------------------------------------------------
    op.add_column("billing", sa.Column("instalment_number", sa.Integer(), nullable=True,
                                       comment="the instalment of the debt it pays"))
    op.create_check_constraint(op.f("billing_instalment_link_check"), "billing",
                               "instalment_number IS NULL OR (debt_id IS NOT NULL AND instalment_number >= 1)")
    op.drop_index("billing_debt_open_key", table_name="billing")
    op.create_index("billing_debt_open_key", "billing", ["debt_id"], unique=True, postgresql_where=sa.text(
        "debt_id IS NOT NULL AND instalment_number IS NULL AND status <> 'expired'"))
    op.create_index("billing_instalment_open_key", "billing", ["debt_id", "instalment_number"], unique=True,
                    postgresql_where=sa.text("instalment_number IS NOT NULL AND status <> 'expired'"))

    # -- instalments and postponement ------------------------------------------------------------------------------
    op.create_table(
        "instalment_arrangement",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("debt_id", sa.UUID(), nullable=False),
        sa.Column("npwp", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("debt_kind", sa.Text(), nullable=False,
                  comment="pph29 (3 working days to decide) or assessment (7)"),
        sa.Column("instalments", sa.Integer(), nullable=False),
        sa.Column("first_due_date", sa.Date(), nullable=True,
                  comment="asked for: the first (or postponed) payment"),
        sa.Column("reason", sa.Text(), nullable=False, comment="the taxpayer's grounds"),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("decide_by", sa.Date(), nullable=False, comment="received_on + 3 or 7 working days"),
        sa.Column("principal", MONEY, nullable=False, comment="what the debt owed when applied for"),
        sa.Column("monthly_rate_percent", sa.Numeric(6, 3), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Text(), nullable=True),
        sa.Column("rejection_reason", sa.Text(), nullable=True),
        sa.Column("accelerated_on", sa.Date(), nullable=True, comment="the missed instalment's due date"),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("status IN ('applied', 'granted', 'rejected', 'accelerated', 'completed')",
                           name=op.f("instalment_arrangement_status_check")),
        sa.CheckConstraint("kind IN ('instalment', 'postponement')", name=op.f("instalment_arrangement_kind_check")),
        sa.CheckConstraint("debt_kind IN ('pph29', 'assessment')",
                           name=op.f("instalment_arrangement_debt_kind_check")),
        sa.CheckConstraint("instalments >= 1", name=op.f("instalment_arrangement_instalments_positive_check")),
        sa.ForeignKeyConstraint(["debt_id"], ["debt.id"], name=op.f("instalment_arrangement_debt_id_fkey")),
        sa.PrimaryKeyConstraint("id", name=op.f("instalment_arrangement_pkey")),
    )
    op.create_index("instalment_arrangement_debt_key", "instalment_arrangement", ["debt_id"], unique=True,
                    postgresql_where=sa.text("status IN ('applied', 'granted')"))
    op.create_index("instalment_arrangement_queue_idx", "instalment_arrangement", ["decide_by", "id"],
                    postgresql_where=sa.text("status = 'applied'"))
    op.create_index("instalment_arrangement_npwp_idx", "instalment_arrangement", ["npwp", "created_at"])
    op.create_table(
        "instalment",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("arrangement_id", sa.UUID(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("principal", MONEY, nullable=False),
        sa.Column("interest", MONEY, nullable=False),
        sa.Column("status", sa.Text(), nullable=False,
                  comment="cancelled: its interest never ran (the remainder fell due)"),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ntpn", sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('open', 'paid', 'cancelled')", name=op.f("instalment_status_check")),
        sa.CheckConstraint("principal > 0 AND interest >= 0", name=op.f("instalment_amounts_check")),
        sa.ForeignKeyConstraint(["arrangement_id"], ["instalment_arrangement.id"],
                                name=op.f("instalment_arrangement_id_fkey")),
        sa.PrimaryKeyConstraint("id", name=op.f("instalment_pkey")),
        sa.UniqueConstraint("arrangement_id", "number", name=op.f("instalment_arrangement_id_number_key")),
    )

    # -- deposit: allocations, transfers, refunds ------------------------------------------------------------------
    op.create_table(
        "deposit_movement",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("npwp", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("debt_id", sa.UUID(), nullable=True),
        sa.Column("kap_kjs", sa.Text(), nullable=True),
        sa.Column("period", sa.Text(), nullable=True),
        sa.Column("assessment_number", sa.Text(), nullable=True),
        sa.Column("to_npwp", sa.Text(), nullable=True, comment="a transfer's recipient"),
        sa.Column("bank_code", sa.Text(), nullable=True, comment="a refund's bank"),
        sa.Column("account_number", sa.Text(), nullable=True, comment="a refund's bank account"),
        sa.Column("deemed_paid_at", sa.DateTime(timezone=True), nullable=True,
                  comment="an allocation's deposit date, which counts as the payment date"),
        sa.Column("reason", sa.Text(), nullable=True, comment="a refund's rejection reason"),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('allocation', 'transfer', 'refund')", name=op.f("deposit_movement_kind_check")),
        sa.CheckConstraint("status IN ('requested', 'done', 'rejected')", name=op.f("deposit_movement_status_check")),
        sa.CheckConstraint("amount > 0", name=op.f("deposit_movement_amount_positive_check")),
        sa.ForeignKeyConstraint(["debt_id"], ["debt.id"], name=op.f("deposit_movement_debt_id_fkey")),
        sa.PrimaryKeyConstraint("id", name=op.f("deposit_movement_pkey")),
    )
    op.create_index("deposit_movement_npwp_idx", "deposit_movement", ["npwp", "created_at", "id"])
    op.create_index("deposit_movement_refund_queue_idx", "deposit_movement", ["created_at", "id"],
                    postgresql_where=sa.text("kind = 'refund' AND status = 'requested'"))


def downgrade() -> None:
    op.drop_index("deposit_movement_refund_queue_idx", table_name="deposit_movement")
    op.drop_index("deposit_movement_npwp_idx", table_name="deposit_movement")
    op.drop_table("deposit_movement")
    op.drop_table("instalment")
    op.drop_index("instalment_arrangement_npwp_idx", table_name="instalment_arrangement")
    op.drop_index("instalment_arrangement_queue_idx", table_name="instalment_arrangement")
    op.drop_index("instalment_arrangement_debt_key", table_name="instalment_arrangement")
    op.drop_table("instalment_arrangement")
    op.drop_index("billing_instalment_open_key", table_name="billing")
    op.drop_index("billing_debt_open_key", table_name="billing")
    op.create_index("billing_debt_open_key", "billing", ["debt_id"], unique=True,
                    postgresql_where=sa.text("debt_id IS NOT NULL AND status <> 'expired'"))
    op.drop_constraint(op.f("billing_instalment_link_check"), "billing", type_="check")
    op.drop_column("billing", "instalment_number")
    op.drop_index("debt_interest_due_idx", table_name="debt")
    op.drop_constraint(op.f("debt_outstanding_check"), "debt", type_="check")
    for column in ("interest_accrued", "interest_months", "interest_next_on", "interest_from",
                   "interest_principal", "outstanding"):
        op.drop_column("debt", column)
