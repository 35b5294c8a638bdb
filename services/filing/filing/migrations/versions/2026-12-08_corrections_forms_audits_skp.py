"""Pembetulan, data-driven forms, audits and SKP

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

AMOUNT = sa.Numeric(18, 2)
JSONB = postgresql.JSONB(astext_type=sa.Text())


def _now() -> sa.TextClause:
    return sa.text("now()")


def upgrade() -> None:
    # returns: what the taxpayer entered on a data-driven form, and the attachments it carries
    op.add_column("spt", sa.Column("figures", JSONB, server_default=sa.text("'{}'::jsonb"), nullable=False))
    op.add_column("spt", sa.Column("attachments", JSONB, server_default=sa.text("'[]'::jsonb"), nullable=False))
    # submissions: what the version owes in full per KAP-KJS, and for a pembetulan what it corrects
    op.add_column("spt_submission", sa.Column("payable", JSONB, server_default=sa.text("'{}'::jsonb"),
                                              nullable=False))
    op.add_column("spt_submission", sa.Column("previous_spt_id", sa.UUID(), nullable=True))
    op.add_column("spt_submission", sa.Column("tax_raise", AMOUNT, server_default=sa.text("0"), nullable=False))
    op.add_column("spt_submission", sa.Column("shows_overpayment_or_loss", sa.Boolean(),
                                              server_default=sa.text("false"), nullable=False))
    # audits: closing, and the row's change counter (the sequence of its events)
    op.add_column("audit", sa.Column("outcome", sa.Text(), nullable=True))
    op.add_column("audit", sa.Column("closed_by_account_id", sa.Text(), nullable=True))
    op.add_column("audit", sa.Column("revision", sa.Integer(), server_default=sa.text("1"), nullable=False))
    op.create_check_constraint(op.f("audit_audit_type_check"), "audit", "audit_type IN ('field', 'office')")
    op.create_check_constraint(op.f("audit_outcome_check"), "audit",
                               "outcome IN ('assessed', 'no_findings', 'stopped')")
    op.execute("CREATE SEQUENCE skp_number_seq")
    op.create_table(
        "skp",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("number", sa.Text(), nullable=False),
        sa.Column("audit_id", sa.UUID(), nullable=False),
        sa.Column("npwp", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("form", sa.Text(), nullable=False),
        sa.Column("period", sa.Text(), nullable=False),
        sa.Column("principal", AMOUNT, nullable=False),
        sa.Column("interest", AMOUNT, nullable=False),
        sa.Column("interest_months", sa.Integer(), nullable=False),
        sa.Column("monthly_rate_percent", AMOUNT, nullable=True),
        sa.Column("increase", AMOUNT, nullable=False),
        sa.Column("total", AMOUNT, nullable=False),
        sa.Column("kap_kjs", sa.Text(), nullable=True),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("reasoning", sa.Text(), nullable=False),
        sa.Column("officer_account_id", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.CheckConstraint("kind IN ('SKPKB', 'SKPKBT', 'SKPLB', 'SKPN')", name=op.f("skp_kind_check")),
        sa.ForeignKeyConstraint(["audit_id"], ["audit.id"], name=op.f("skp_audit_id_fkey")),
        sa.PrimaryKeyConstraint("id", name=op.f("skp_pkey")),
        sa.UniqueConstraint("number", name=op.f("skp_number_key")),
    )
    op.create_index("skp_npwp_period_idx", "skp", ["npwp", "period"], unique=False)
    op.create_index("skp_audit_id_idx", "skp", ["audit_id"], unique=False)


def downgrade() -> None:
    op.drop_index("skp_audit_id_idx", table_name="skp")
    op.drop_index("skp_npwp_period_idx", table_name="skp")
    op.drop_table("skp")
    op.execute("DROP SEQUENCE skp_number_seq")
    op.drop_constraint(op.f("audit_outcome_check"), "audit", type_="check")
    op.drop_constraint(op.f("audit_audit_type_check"), "audit", type_="check")
    for column in ("revision", "closed_by_account_id", "outcome"):
        op.drop_column("audit", column)
    for column in ("shows_overpayment_or_loss", "tax_raise", "previous_spt_id", "payable"):
        op.drop_column("spt_submission", column)
    op.drop_column("spt", "attachments")
    op.drop_column("spt", "figures")
