"""webhooks (callback_url on uploads and signing jobs, webhook_delivery), idempotency claims (pending state)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 07:00:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ('invoice_upload', 'signing_job'):
        op.add_column(table, sa.Column('callback_url', sa.Text(), nullable=True))
        op.add_column(table, sa.Column('callback_client', sa.Text(), nullable=True))
    op.create_table('webhook_delivery',
                    sa.Column('id', sa.UUID(), nullable=False),
                    sa.Column('event_type', sa.Text(), nullable=False),
                    sa.Column('subject_id', sa.UUID(), nullable=False),
                    sa.Column('url', sa.Text(), nullable=False),
                    sa.Column('client_id', sa.Text(), nullable=False),
                    sa.Column('body', sa.Text(), nullable=False),
                    sa.Column('state', sa.Text(), nullable=False),
                    sa.Column('attempts', sa.Integer(), server_default=sa.text('0'), nullable=False),
                    sa.Column('next_attempt_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                              nullable=False),
                    sa.Column('last_error', sa.Text(), nullable=True),
                    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                              nullable=False),
                    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
                    sa.PrimaryKeyConstraint('id', name=op.f('webhook_delivery_pkey')))
    op.create_index('webhook_delivery_due_idx', 'webhook_delivery', ['next_attempt_at'],
                    postgresql_where=sa.text("state = 'pending'"))
    op.add_column('idempotency_key', sa.Column('state', sa.Text(), server_default=sa.text("'done'"), nullable=False))
    op.alter_column('idempotency_key', 'status_code', nullable=True)
    op.alter_column('idempotency_key', 'response', existing_type=postgresql.JSONB(), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM idempotency_key WHERE state = 'pending'")
    op.alter_column('idempotency_key', 'response', existing_type=postgresql.JSONB(), nullable=False)
    op.alter_column('idempotency_key', 'status_code', nullable=False)
    op.drop_column('idempotency_key', 'state')
    op.drop_index('webhook_delivery_due_idx', table_name='webhook_delivery',
                  postgresql_where=sa.text("state = 'pending'"))
    op.drop_table('webhook_delivery')
    for table in ('invoice_upload', 'signing_job'):
        op.drop_column(table, 'callback_client')
        op.drop_column(table, 'callback_url')
