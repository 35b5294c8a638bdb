"""signing credentials and the development signing CA

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 09:00:00
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'signing_authority',
        sa.Column('name', sa.Text(), nullable=False),
        sa.Column('certificate_pem', sa.Text(), nullable=False),
        sa.Column('private_key_pem', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('signing_authority_pkey')),
    )
    op.create_table(
        'signing_credential',
        sa.Column('id', sa.UUID(), nullable=False),
        sa.Column('account_id', sa.UUID(), nullable=False),
        sa.Column('person_id', sa.UUID(), nullable=False),
        sa.Column('kind', sa.Text(), nullable=False),
        sa.Column('status', sa.Text(), server_default='active', nullable=False),
        sa.Column('serial_number', sa.Text(), nullable=False),
        sa.Column('subject_name', sa.Text(), nullable=False),
        sa.Column('subject_serial', sa.Text(), nullable=False),
        sa.Column('identity_number', sa.Text(), nullable=False),
        sa.Column('certificate_pem', sa.Text(), nullable=False),
        sa.Column('key_algorithm', sa.Text(), nullable=False),
        sa.Column('sealed_key', sa.LargeBinary(), nullable=False),
        sa.Column('key_nonce', sa.LargeBinary(), nullable=False),
        sa.Column('kdf_salt', sa.LargeBinary(), nullable=False),
        sa.Column('kdf_params', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('valid_from', sa.DateTime(timezone=True), nullable=False),
        sa.Column('valid_until', sa.DateTime(timezone=True), nullable=False),
        sa.Column('failed_attempts', sa.Integer(), server_default=sa.text('0'), nullable=False),
        sa.Column('first_failed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('signature_count', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('revoked_reason', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.CheckConstraint("kind IN ('kode_otorisasi', 'electronic_certificate')",
                           name=op.f('signing_credential_kind_check')),
        sa.CheckConstraint("status IN ('active', 'revoked')", name=op.f('signing_credential_status_check')),
        sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('signing_credential_account_id_fkey')),
        sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('signing_credential_person_id_fkey')),
        sa.PrimaryKeyConstraint('id', name=op.f('signing_credential_pkey')),
        sa.UniqueConstraint('serial_number', name=op.f('signing_credential_serial_number_key')),
    )
    op.create_index(op.f('signing_credential_account_id_idx'), 'signing_credential', ['account_id'], unique=False)
    op.create_index('signing_credential_one_active_idx', 'signing_credential', ['person_id', 'kind'], unique=True,
                    postgresql_where=sa.text("status = 'active'"))


def downgrade() -> None:
    op.drop_index('signing_credential_one_active_idx', table_name='signing_credential',
                  postgresql_where=sa.text("status = 'active'"))
    op.drop_index(op.f('signing_credential_account_id_idx'), table_name='signing_credential')
    op.drop_table('signing_credential')
    op.drop_table('signing_authority')
