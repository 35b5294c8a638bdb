"""Reference data officers publish: each year's days off (every revision kept) and each month's KMK interest rates

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-16
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_publication",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("days", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("basis_number", sa.Text(), nullable=False),
        sa.Column("basis_signed_on", sa.Date(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.Text(), nullable=False),
        sa.CheckConstraint("revision >= 1", name=op.f("calendar_publication_revision_positive_check")),
        sa.PrimaryKeyConstraint("id", name=op.f("calendar_publication_pkey")),
        sa.UniqueConstraint("year", "revision", name=op.f("calendar_publication_year_revision_key")),
    )
    rate = sa.Numeric(7, 4)
    op.create_table(
        "interest_rate_publication",
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
        sa.Column("published_by", sa.Text(), nullable=False),
        sa.CheckConstraint("month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'",
                           name=op.f("interest_rate_publication_month_format_check")),
        sa.CheckConstraint("tier_1 > 0 AND tier_2 > 0 AND tier_3 > 0 AND tier_4 > 0 AND tier_5 > 0 "
                           "AND imbalan_bunga > 0", name=op.f("interest_rate_publication_rates_positive_check")),
        sa.PrimaryKeyConstraint("month", name=op.f("interest_rate_publication_pkey")),
    )


def downgrade() -> None:
    op.drop_table("interest_rate_publication")
    op.drop_table("calendar_publication")
