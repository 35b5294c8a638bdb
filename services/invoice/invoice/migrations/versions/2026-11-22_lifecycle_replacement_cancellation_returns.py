"""lifecycle: replacement (status code, replaces), cancellation, returns (Nota Retur), input-tax decisions

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 06:00:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('invoice', sa.Column('status_code', sa.SmallInteger(), server_default=sa.text('0'), nullable=False))
    op.add_column('invoice', sa.Column('replaces_id', sa.UUID(), nullable=True))
    op.add_column('invoice', sa.Column('replaced_by', sa.UUID(), nullable=True))
    op.add_column('invoice', sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('invoice', sa.Column('cancellation', postgresql.JSONB(), nullable=True))
    op.add_column('invoice', sa.Column('input_tax_action', sa.Text(), nullable=True))
    op.add_column('invoice', sa.Column('input_tax_period', sa.Text(), nullable=True))
    op.add_column('invoice', sa.Column('input_tax_at', sa.DateTime(timezone=True), nullable=True))
    # a replacement keeps its original's reference: only the first of a chain holds the reference key
    op.drop_index('invoice_seller_ref_key', table_name='invoice', postgresql_where=sa.text('ref_desc IS NOT NULL'))
    op.create_index('invoice_seller_ref_key', 'invoice', ['seller_npwp', 'ref_desc'], unique=True,
                    postgresql_where=sa.text('ref_desc IS NOT NULL AND replaces_id IS NULL'))
    op.create_index('invoice_replaces_idx', 'invoice', ['replaces_id'], unique=False,
                    postgresql_where=sa.text('replaces_id IS NOT NULL'))
    op.create_table('invoice_return',
                    sa.Column('id', sa.UUID(), nullable=False),
                    sa.Column('invoice_id', sa.UUID(), nullable=False),
                    sa.Column('number', sa.Text(), nullable=True),
                    sa.Column('seller_npwp', sa.Text(), nullable=False),
                    sa.Column('buyer_npwp', sa.Text(), nullable=False),
                    sa.Column('return_date', sa.Date(), nullable=False),
                    sa.Column('period', sa.Text(), nullable=False),
                    sa.Column('dpp', sa.Numeric(20, 2), nullable=False),
                    sa.Column('dpp_other', sa.Numeric(20, 2), nullable=False),
                    sa.Column('ppn', sa.Numeric(20, 2), nullable=False),
                    sa.Column('ppnbm', sa.Numeric(20, 2), nullable=False),
                    sa.Column('created_by', sa.Text(), nullable=False),
                    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                              nullable=False),
                    sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id'],
                                            name=op.f('invoice_return_invoice_id_fkey')),
                    sa.PrimaryKeyConstraint('id', name=op.f('invoice_return_pkey')))
    op.create_index('invoice_return_invoice_idx', 'invoice_return', ['invoice_id'], unique=False)
    op.create_table('invoice_return_line',
                    sa.Column('return_id', sa.UUID(), nullable=False),
                    sa.Column('line_no', sa.Integer(), nullable=False),
                    sa.Column('qty', sa.Numeric(20, 2), nullable=False),
                    sa.Column('tax_base', sa.Numeric(20, 2), nullable=False),
                    sa.Column('other_tax_base', sa.Numeric(20, 2), nullable=False),
                    sa.Column('vat', sa.Numeric(20, 2), nullable=False),
                    sa.Column('stlg', sa.Numeric(20, 2), nullable=False),
                    sa.ForeignKeyConstraint(['return_id'], ['invoice_return.id'], ondelete='CASCADE',
                                            name=op.f('invoice_return_line_return_id_fkey')),
                    sa.PrimaryKeyConstraint('return_id', 'line_no', name=op.f('invoice_return_line_pkey')))


def downgrade() -> None:
    op.drop_table('invoice_return_line')
    op.drop_index('invoice_return_invoice_idx', table_name='invoice_return')
    op.drop_table('invoice_return')
    op.drop_index('invoice_replaces_idx', table_name='invoice', postgresql_where=sa.text('replaces_id IS NOT NULL'))
    op.drop_index('invoice_seller_ref_key', table_name='invoice',
                  postgresql_where=sa.text('ref_desc IS NOT NULL AND replaces_id IS NULL'))
    op.create_index('invoice_seller_ref_key', 'invoice', ['seller_npwp', 'ref_desc'], unique=True,
                    postgresql_where=sa.text('ref_desc IS NOT NULL'))
    for column in ('input_tax_at', 'input_tax_period', 'input_tax_action', 'cancellation', 'cancelled_at',
                   'replaced_by', 'replaces_id', 'status_code'):
        op.drop_column('invoice', column)
