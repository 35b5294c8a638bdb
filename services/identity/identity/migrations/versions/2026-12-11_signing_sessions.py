"""Signing sessions: one passphrase check opens a short, audited session of a signing credential

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-11
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signing_session",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("credential_id", sa.UUID(), nullable=False),
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.Column("sealed_key", sa.LargeBinary(), nullable=True),
        sa.Column("key_nonce", sa.LargeBinary(), nullable=True),
        sa.Column("device_claim", sa.Text(), nullable=False),
        sa.Column("device", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("max_signatures", sa.Integer(), nullable=False),
        sa.Column("signatures_used", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_reason", sa.Text(), nullable=True),
        sa.CheckConstraint("max_signatures > 0", name=op.f("signing_session_max_signatures_check")),
        sa.CheckConstraint("signatures_used >= 0 AND signatures_used <= max_signatures",
                           name=op.f("signing_session_budget_check")),
        sa.CheckConstraint("device_claim IN ('sid', 'jti')", name=op.f("signing_session_device_claim_check")),
        sa.CheckConstraint("(closed_at IS NULL) = (sealed_key IS NOT NULL)",
                           name=op.f("signing_session_sealed_while_open_check")),
        sa.ForeignKeyConstraint(["credential_id"], ["signing_credential.id"],
                                name=op.f("signing_session_credential_id_fkey")),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], name=op.f("signing_session_account_id_fkey")),
        sa.PrimaryKeyConstraint("id", name=op.f("signing_session_pkey")),
    )
    op.create_index("signing_session_open_idx", "signing_session", ["credential_id"], unique=False,
                    postgresql_where=sa.text("closed_at IS NULL"))


def downgrade() -> None:
    op.drop_index("signing_session_open_idx", table_name="signing_session",
                  postgresql_where=sa.text("closed_at IS NULL"))
    op.drop_table("signing_session")
