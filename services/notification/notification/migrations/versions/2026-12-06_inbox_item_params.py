"""inbox_item: the notice's parameters, so a notice made before the taxpayer's contacts were known is sent to them
when they arrive

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 19:00:00
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('inbox_item', sa.Column(
        'params', postgresql.JSONB(astext_type=sa.Text()), nullable=True,
        comment="the template's parameters: the notice is rendered from them again for a contact that becomes known "
                "later; NULL for items made before they were kept"))


def downgrade() -> None:
    op.drop_column('inbox_item', 'params')
