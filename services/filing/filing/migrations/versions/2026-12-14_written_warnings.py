"""Written warnings (Surat Teguran) about a taxpayer's return, read by UU KUP Art 3(7)(c)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-14
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "written_warning",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("number", sa.Text(), nullable=False),
        sa.Column("npwp", sa.Text(), nullable=False),
        sa.Column("form", sa.Text(), nullable=False),
        sa.Column("period", sa.Text(), nullable=False),
        sa.Column("warned_on", sa.Date(), nullable=False),
        sa.Column("officer_account_id", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("written_warning_pkey")),
        sa.UniqueConstraint("number", name="written_warning_number_key"),
    )
    op.create_index("written_warning_return_idx", "written_warning", ["npwp", "form", "period"], unique=False)


def downgrade() -> None:
    op.drop_index("written_warning_return_idx", table_name="written_warning")
    op.drop_table("written_warning")
