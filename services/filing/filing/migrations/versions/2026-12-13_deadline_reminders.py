"""Approaching-deadline reminders sent (`deadline_reminder`: one per return and reminder)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-13
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deadline_reminder",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("npwp", sa.Text(), nullable=False),
        sa.Column("form", sa.Text(), nullable=False),
        sa.Column("period", sa.Text(), nullable=False),
        sa.Column("reminder", sa.Text(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("days_left", sa.Integer(), nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("deadline_reminder_return_idx", "deadline_reminder", ["npwp", "form", "period", "reminder"],
                    unique=True)


def downgrade() -> None:
    op.drop_index("deadline_reminder_return_idx", table_name="deadline_reminder")
    op.drop_table("deadline_reminder")
