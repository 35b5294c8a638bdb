"""debts (from STP/SKP and the legacy import), legacy import reports, billing codes from a debt

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 12:00:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'legacy_debt_import',
        sa.Column('id', sa.UUID(), nullable=False),
        sa.Column('file_digest', sa.Text(), nullable=False, comment='SHA-256 of the file as received'),
        sa.Column('rows', sa.Integer(), nullable=False),
        sa.Column('imported', sa.Integer(), nullable=False),
        sa.Column('created_by', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('report', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('legacy_debt_import_pkey')),
    )
    op.create_index(op.f('legacy_debt_import_file_digest_idx'), 'legacy_debt_import', ['file_digest'])

    op.create_table(
        'debt',
        sa.Column('id', sa.UUID(), nullable=False),
        sa.Column('npwp', sa.Text(), nullable=False),
        sa.Column('kind', sa.Text(), nullable=False),
        sa.Column('kap', sa.Text(), nullable=False),
        sa.Column('kjs', sa.Text(), nullable=False),
        sa.Column('period', sa.Text(), nullable=True, comment='the tax period it is for, when known'),
        sa.Column('assessment_number', sa.Text(), nullable=True, comment='the STP/SKP number'),
        sa.Column('amount', sa.Numeric(18, 2), nullable=False),
        sa.Column('issued_on', sa.Date(), nullable=False),
        sa.Column('due_date', sa.Date(), nullable=False),
        sa.Column('source', sa.Text(), nullable=False,
                  comment="stp, skp (filing's events) or legacy (the import)"),
        sa.Column('source_reference', sa.Text(), nullable=False,
                  comment="filing's STP/SKP id, or the legacy reference"),
        sa.Column('import_id', sa.UUID(), nullable=True),
        sa.Column('status', sa.Text(), nullable=False),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('settled_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('ntpn', sa.Text(), nullable=True, comment='the payment that settled it'),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.CheckConstraint("status IN ('open', 'settled')", name=op.f('debt_status_check')),
        sa.CheckConstraint("kind IN ('stp', 'skpkb', 'skpkbt', 'spt_underpayment')", name=op.f('debt_kind_check')),
        sa.CheckConstraint("source IN ('stp', 'skp', 'legacy')", name=op.f('debt_source_check')),
        sa.CheckConstraint('amount > 0', name=op.f('debt_amount_positive_check')),
        sa.CheckConstraint('due_date >= issued_on', name=op.f('debt_due_after_issue_check')),
        sa.CheckConstraint("(status = 'settled') = (settled_at IS NOT NULL)", name=op.f('debt_settled_at_check')),
        sa.ForeignKeyConstraint(['import_id'], ['legacy_debt_import.id'], name=op.f('debt_import_id_fkey')),
        sa.PrimaryKeyConstraint('id', name=op.f('debt_pkey')),
        sa.UniqueConstraint('source', 'source_reference', name=op.f('debt_source_source_reference_key')),
    )
    op.create_index('debt_assessment_key', 'debt', ['npwp', 'kap', 'kjs', 'assessment_number'], unique=True,
                    postgresql_where=sa.text('assessment_number IS NOT NULL'))
    op.create_index('debt_npwp_recorded_idx', 'debt', ['npwp', 'recorded_at', 'id'])

    op.add_column('billing', sa.Column('debt_id', sa.UUID(), nullable=True,
                                       comment='the debt a code from a bill pays'))
    op.create_foreign_key(op.f('billing_debt_id_fkey'), 'billing', 'debt', ['debt_id'], ['id'])
    op.create_check_constraint(op.f('billing_bill_link_check'), 'billing', "(origin = 'bill') = (debt_id IS NOT NULL)")
    op.create_index('billing_debt_open_key', 'billing', ['debt_id'], unique=True,
                    postgresql_where=sa.text("debt_id IS NOT NULL AND status <> 'expired'"))


def downgrade() -> None:
    op.drop_index('billing_debt_open_key', table_name='billing')
    op.drop_constraint(op.f('billing_bill_link_check'), 'billing', type_='check')
    op.drop_constraint(op.f('billing_debt_id_fkey'), 'billing', type_='foreignkey')
    op.drop_column('billing', 'debt_id')
    op.drop_index('debt_npwp_recorded_idx', table_name='debt')
    op.drop_index('debt_assessment_key', table_name='debt')
    op.drop_table('debt')
    op.drop_index(op.f('legacy_debt_import_file_digest_idx'), table_name='legacy_debt_import')
    op.drop_table('legacy_debt_import')
