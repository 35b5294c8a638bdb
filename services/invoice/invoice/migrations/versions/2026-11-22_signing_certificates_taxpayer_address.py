"""signing certificates (for PDFs and public verification), taxpayer address in the replica

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 05:00:00
"""

from alembic import op
import sqlalchemy as sa

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('signing_certificate',
                    sa.Column('serial', sa.Text(), nullable=False),
                    sa.Column('certificate_pem', sa.Text(), nullable=False),
                    sa.Column('subject_name', sa.Text(), nullable=False),
                    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                              nullable=False),
                    sa.PrimaryKeyConstraint('serial', name=op.f('signing_certificate_pkey')))
    op.add_column('taxpayer', sa.Column('address', sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column('taxpayer', 'address')
    op.drop_table('signing_certificate')
