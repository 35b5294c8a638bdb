"""recipient: identity's version of the contacts it holds (an older identity event no longer overwrites a newer one)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 17:00:00
"""

from alembic import op
import sqlalchemy as sa

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('recipient', sa.Column(
        'source_sequence', sa.BigInteger(), nullable=True,
        comment="identity's version of the taxpayer the contacts come from (envelope sequence); NULL: set by hand"))


def downgrade() -> None:
    op.drop_column('recipient', 'source_sequence')
