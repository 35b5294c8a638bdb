"""per-login back-off from every address, and the addresses each account has proved itself from

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 09:00:00
"""

from alembic import op
import sqlalchemy as sa

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'login_backoff',
        sa.Column('login', sa.Text(), nullable=False),
        sa.Column('failures', sa.Integer(), server_default=sa.text('0'), nullable=False),
        sa.Column('blocked_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_failure_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.PrimaryKeyConstraint('login', name=op.f('login_backoff_pkey')),
    )
    op.create_table(
        'known_address',
        sa.Column('account_id', sa.UUID(), nullable=False),
        sa.Column('ip', sa.Text(), nullable=False),
        sa.Column('last_seen_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('known_address_account_id_fkey'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('account_id', 'ip', name=op.f('known_address_pkey')),
    )


def downgrade() -> None:
    op.drop_table('known_address')
    op.drop_table('login_backoff')
