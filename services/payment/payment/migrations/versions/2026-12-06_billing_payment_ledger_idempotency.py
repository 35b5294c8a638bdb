"""billing codes, payments (NTPN), ledger accounts and transfers, idempotency keys

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06 10:00:00
"""

import sqlalchemy as sa
from alembic import op

from kit.idempotency import create_idempotency_table, drop_idempotency_table

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'billing',
        sa.Column('id', sa.UUID(), nullable=False),
        sa.Column('code', sa.Text(), nullable=False),
        sa.Column('npwp', sa.Text(), nullable=False),
        sa.Column('kap', sa.Text(), nullable=False),
        sa.Column('kjs', sa.Text(), nullable=False),
        sa.Column('period', sa.Text(), nullable=True),
        sa.Column('assessment_number', sa.Text(), nullable=True),
        sa.Column('amount', sa.Numeric(18, 2), nullable=False),
        sa.Column('origin', sa.Text(), nullable=False),
        sa.Column('spt_id', sa.Text(), nullable=True, comment="filing's SPT id, for a code linked to an SPT"),
        sa.Column('status', sa.Text(), nullable=False),
        sa.Column('created_by', sa.Text(), nullable=True, comment='token subject, or the event that caused it'),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('expired_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.CheckConstraint("status IN ('active', 'paid', 'expired')", name=op.f('billing_status_check')),
        sa.CheckConstraint("origin IN ('mandiri', 'spt', 'bill')", name=op.f('billing_origin_check')),
        sa.CheckConstraint('amount > 0', name=op.f('billing_amount_positive_check')),
        sa.CheckConstraint("(origin = 'spt') = (spt_id IS NOT NULL)", name=op.f('billing_spt_link_check')),
        sa.PrimaryKeyConstraint('id', name=op.f('billing_pkey')),
        sa.UniqueConstraint('code', name=op.f('billing_code_key')),
    )
    op.create_index('billing_due_idx', 'billing', ['expires_at'], postgresql_where=sa.text("status = 'active'"))
    op.create_index('billing_npwp_created_idx', 'billing', ['npwp', 'created_at'])
    op.create_index('billing_spt_open_key', 'billing', ['spt_id', 'kap', 'kjs'], unique=True,
                    postgresql_where=sa.text("spt_id IS NOT NULL AND status <> 'expired'"))

    op.create_table(
        'payment',
        sa.Column('id', sa.UUID(), nullable=False),
        sa.Column('ntpn', sa.Text(), nullable=False),
        sa.Column('billing_id', sa.UUID(), nullable=False),
        sa.Column('billing_code', sa.Text(), nullable=False),
        sa.Column('npwp', sa.Text(), nullable=False),
        sa.Column('bank_id', sa.Text(), nullable=False, comment="the collecting bank's client id"),
        sa.Column('bank_reference', sa.Text(), nullable=False),
        sa.Column('amount', sa.Numeric(18, 2), nullable=False),
        sa.Column('paid_at', sa.DateTime(timezone=True), nullable=False,
                  comment="the bank's time: the payment date"),
        sa.Column('confirmed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.CheckConstraint('amount > 0', name=op.f('payment_amount_positive_check')),
        sa.ForeignKeyConstraint(['billing_id'], ['billing.id'], name=op.f('payment_billing_id_fkey')),
        sa.PrimaryKeyConstraint('id', name=op.f('payment_pkey')),
        sa.UniqueConstraint('ntpn', name=op.f('payment_ntpn_key')),
        sa.UniqueConstraint('billing_id', name=op.f('payment_billing_id_key')),
        sa.UniqueConstraint('billing_code', name=op.f('payment_billing_code_key')),
        sa.UniqueConstraint('bank_id', 'bank_reference', name=op.f('payment_bank_id_bank_reference_key')),
    )
    op.create_index(op.f('payment_npwp_idx'), 'payment', ['npwp'])

    op.create_table(
        'account',
        sa.Column('id', sa.UUID(), nullable=False),
        sa.Column('kind', sa.Text(), nullable=False),
        sa.Column('npwp', sa.Text(), nullable=True),
        sa.Column('kap_kjs', sa.Text(), nullable=True),
        sa.Column('period', sa.Text(), nullable=True),
        sa.Column('assessment_number', sa.Text(), nullable=True),
        sa.Column('bank_code', sa.Text(), nullable=True),
        sa.Column('ledger', sa.Integer(), nullable=False),
        sa.Column('code', sa.Integer(), nullable=False,
                  comment='chart of accounts: 1100 liability, 2100 deposit, ...'),
        sa.Column('flags', sa.Integer(), nullable=False, comment='payment.ledger.accounts.AccountFlag bits'),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.CheckConstraint(
            "kind IN ('taxpayer_liability', 'taxpayer_deposit', 'bank_settlement', 'state_revenue')",
            name=op.f('account_kind_check')),
        sa.PrimaryKeyConstraint('id', name=op.f('account_pkey')),
    )
    op.create_index('account_npwp_idx', 'account', ['npwp', 'created_at', 'id'],
                    postgresql_where=sa.text('npwp IS NOT NULL'))

    op.create_table(
        'transfer',
        sa.Column('id', sa.UUID(), nullable=False),
        sa.Column('debit_account_id', sa.UUID(), nullable=False),
        sa.Column('credit_account_id', sa.UUID(), nullable=False),
        sa.Column('amount', sa.Numeric(18, 2), nullable=False),
        sa.Column('ledger', sa.Integer(), nullable=False),
        sa.Column('code', sa.SmallInteger(), nullable=False, comment='payment.ledger.rules.TransferCode'),
        sa.Column('reference', sa.Text(), nullable=True, comment='what caused it, e.g. the NTPN'),
        sa.Column('effective_at', sa.DateTime(timezone=True), nullable=False,
                  comment='legal date, e.g. paid_at'),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.CheckConstraint('amount > 0', name=op.f('transfer_amount_positive_check')),
        sa.CheckConstraint('debit_account_id <> credit_account_id', name=op.f('transfer_accounts_differ_check')),
        sa.ForeignKeyConstraint(['debit_account_id'], ['account.id'], name=op.f('transfer_debit_account_id_fkey')),
        sa.ForeignKeyConstraint(['credit_account_id'], ['account.id'],
                                name=op.f('transfer_credit_account_id_fkey')),
        sa.PrimaryKeyConstraint('id', name=op.f('transfer_pkey')),
    )
    op.create_index(op.f('transfer_debit_account_id_idx'), 'transfer', ['debit_account_id'])
    op.create_index(op.f('transfer_credit_account_id_idx'), 'transfer', ['credit_account_id'])

    create_idempotency_table()


def downgrade() -> None:
    drop_idempotency_table()
    op.drop_index(op.f('transfer_credit_account_id_idx'), table_name='transfer')
    op.drop_index(op.f('transfer_debit_account_id_idx'), table_name='transfer')
    op.drop_table('transfer')
    op.drop_index('account_npwp_idx', table_name='account',
                  postgresql_where=sa.text('npwp IS NOT NULL'))
    op.drop_table('account')
    op.drop_index(op.f('payment_npwp_idx'), table_name='payment')
    op.drop_table('payment')
    op.drop_index('billing_spt_open_key', table_name='billing')
    op.drop_index('billing_npwp_created_idx', table_name='billing')
    op.drop_index('billing_due_idx', table_name='billing')
    op.drop_table('billing')
