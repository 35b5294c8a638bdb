"""A return's PPh 29 covered by an instalment or postponement decision (`spt_payment.status` 'instalment',
`arrangement_id`: payment's decision)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-17
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("spt_payment", sa.Column("arrangement_id", sa.Text(), nullable=True))
    op.drop_constraint(op.f("spt_payment_status_check"), "spt_payment", type_="check")
    op.create_check_constraint("status", "spt_payment",  # spt_payment_status_check (the convention)
                               "status IN ('requested', 'paid', 'expired', 'instalment')")


def downgrade() -> None:
    op.execute("UPDATE spt_payment SET status = 'expired' WHERE status = 'instalment'")
    op.drop_constraint(op.f("spt_payment_status_check"), "spt_payment", type_="check")
    op.create_check_constraint("status", "spt_payment",  # spt_payment_status_check (the convention)
                               "status IN ('requested', 'paid', 'expired')")
    op.drop_column("spt_payment", "arrangement_id")
