"""An annual SPT's PPh 29 in instalments (the application names the SPT; its debt is recorded when granted), and the
reminders sent (a code about to expire, an instalment about to fall due), once each

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-15
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

SOURCE_COMMENT = "stp, skp (filing's events), legacy (the import) or spt (an SPT's PPh 29 granted in instalments)"
REFERENCE_COMMENT = "filing's STP/SKP/SPT id, or the legacy reference"


def upgrade() -> None:
    # -- debts: an SPT's PPh 29 ------------------------------------------------------------------------------------
    op.drop_constraint(op.f("debt_source_check"), "debt", type_="check")
    op.create_check_constraint(op.f("debt_source_check"), "debt", "source IN ('stp', 'skp', 'legacy', 'spt')")
    op.alter_column("debt", "source", existing_type=sa.Text(), existing_nullable=False, comment=SOURCE_COMMENT)
    op.alter_column("debt", "source_reference", existing_type=sa.Text(), existing_nullable=False,
                    comment=REFERENCE_COMMENT)

    # -- instalment applications naming an SPT waiting for its PPh 29 payment -----------------------------------------
    op.alter_column("instalment_arrangement", "debt_id", existing_type=sa.UUID(), nullable=True,
                    comment="empty while an SPT's PPh 29 application waits")
    op.add_column("instalment_arrangement", sa.Column(
        "spt_id", sa.Text(), nullable=True, comment="filing's SPT whose PPh 29 the application is for"))
    op.add_column("instalment_arrangement", sa.Column(
        "spt_billing_id", sa.UUID(), nullable=True,
        comment="the SPT's code applied against; once granted, the code the debt replaced"))
    op.create_foreign_key(op.f("instalment_arrangement_spt_billing_id_fkey"), "instalment_arrangement", "billing",
                          ["spt_billing_id"], ["id"])
    op.create_check_constraint(op.f("instalment_arrangement_subject_check"), "instalment_arrangement",
                               "debt_id IS NOT NULL OR spt_id IS NOT NULL")
    op.create_check_constraint(op.f("instalment_arrangement_granted_debt_check"), "instalment_arrangement",
                               "status IN ('applied', 'rejected') OR debt_id IS NOT NULL")
    op.create_check_constraint(op.f("instalment_arrangement_spt_link_check"), "instalment_arrangement",
                               "(spt_id IS NULL) = (spt_billing_id IS NULL)")
    op.create_index("instalment_arrangement_spt_key", "instalment_arrangement", ["spt_id"], unique=True,
                    postgresql_where=sa.text("spt_id IS NOT NULL AND status IN ('applied', 'granted')"))

    # -- reminders -------------------------------------------------------------------------------------------------
    op.create_index("instalment_open_due_idx", "instalment", ["due_date"], postgresql_where=sa.text("status = 'open'"))
    op.create_table(
        "billing_reminder",
        sa.Column("id", sa.UUID(), nullable=False, comment="the event's reminder_id"),
        sa.Column("billing_id", sa.UUID(), nullable=False),
        sa.Column("npwp", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["billing_id"], ["billing.id"], name=op.f("billing_reminder_billing_id_fkey")),
        sa.PrimaryKeyConstraint("id", name=op.f("billing_reminder_pkey")),
        sa.UniqueConstraint("billing_id", name=op.f("billing_reminder_billing_id_key")),
    )
    op.create_table(
        "instalment_reminder",
        sa.Column("id", sa.UUID(), nullable=False, comment="the event's reminder_id"),
        sa.Column("instalment_id", sa.UUID(), nullable=False),
        sa.Column("npwp", sa.Text(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("days_left", sa.Integer(), nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=False, comment="the Jakarta day it was sent"),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["instalment_id"], ["instalment.id"],
                                name=op.f("instalment_reminder_instalment_id_fkey")),
        sa.PrimaryKeyConstraint("id", name=op.f("instalment_reminder_pkey")),
        sa.UniqueConstraint("instalment_id", name=op.f("instalment_reminder_instalment_id_key")),
    )


def downgrade() -> None:
    op.drop_table("instalment_reminder")
    op.drop_table("billing_reminder")
    op.drop_index("instalment_open_due_idx", table_name="instalment")
    op.drop_index("instalment_arrangement_spt_key", table_name="instalment_arrangement")
    op.drop_constraint(op.f("instalment_arrangement_spt_link_check"), "instalment_arrangement", type_="check")
    op.drop_constraint(op.f("instalment_arrangement_granted_debt_check"), "instalment_arrangement", type_="check")
    op.drop_constraint(op.f("instalment_arrangement_subject_check"), "instalment_arrangement", type_="check")
    op.drop_constraint(op.f("instalment_arrangement_spt_billing_id_fkey"), "instalment_arrangement",
                       type_="foreignkey")
    op.drop_column("instalment_arrangement", "spt_billing_id")
    op.drop_column("instalment_arrangement", "spt_id")
    op.execute("DELETE FROM instalment_arrangement WHERE debt_id IS NULL")  # SPT applications never granted
    op.alter_column("instalment_arrangement", "debt_id", existing_type=sa.UUID(), nullable=False, comment=None)
    op.drop_constraint(op.f("debt_source_check"), "debt", type_="check")
    op.create_check_constraint(op.f("debt_source_check"), "debt", "source IN ('stp', 'skp', 'legacy')")
    op.alter_column("debt", "source", existing_type=sa.Text(), existing_nullable=False,
                    comment="stp, skp (filing's events) or legacy (the import)")
    op.alter_column("debt", "source_reference", existing_type=sa.Text(), existing_nullable=False,
                    comment="filing's STP/SKP id, or the legacy reference")
