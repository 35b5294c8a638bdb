"""KSWP letters signed: the signature over each stored snapshot and the id of the key that made it

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-15
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # nullable: letters issued before this revision stay unsigned, and their verification says so
    op.add_column("kswp_snapshot", sa.Column("signature", sa.Text(), nullable=True))
    op.add_column("kswp_snapshot", sa.Column("signing_key_id", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("kswp_snapshot", "signing_key_id")
    op.drop_column("kswp_snapshot", "signature")
