"""Payment's copy of the reference data filing publishes: each year's days off, each month's KMK interest rates

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-16
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "working_calendar_year",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("days", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("basis_number", sa.Text(), nullable=False),
        sa.Column("basis_signed_on", sa.Date(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("revision >= 1", name=op.f("working_calendar_year_revision_positive_check")),
        sa.PrimaryKeyConstraint("year", name=op.f("working_calendar_year_pkey")),
    )
    rate = sa.Numeric(7, 4)
    op.create_table(
        "interest_rate_month",
        sa.Column("month", sa.Text(), nullable=False),
        sa.Column("tier_1", rate, nullable=False),
        sa.Column("tier_2", rate, nullable=False),
        sa.Column("tier_3", rate, nullable=False),
        sa.Column("tier_4", rate, nullable=False),
        sa.Column("tier_5", rate, nullable=False),
        sa.Column("imbalan_bunga", rate, nullable=False),
        sa.Column("kmk_number", sa.Text(), nullable=False),
        sa.Column("kmk_signed_on", sa.Date(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'", name=op.f("interest_rate_month_month_format_check")),
        sa.PrimaryKeyConstraint("month", name=op.f("interest_rate_month_pkey")),
    )


def downgrade() -> None:
    op.drop_table("interest_rate_month")
    op.drop_table("working_calendar_year")
