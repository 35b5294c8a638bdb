"""PJAP clients' rates shared by the API replicas (kit.ratelimit's `client_rate`)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-10 09:00:00
"""

from kit.ratelimit import create_client_rate_table, drop_client_rate_table

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_client_rate_table()


def downgrade() -> None:
    drop_client_rate_table()
