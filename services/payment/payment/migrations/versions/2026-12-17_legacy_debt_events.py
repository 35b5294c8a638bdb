"""A legacy import's `DebtRecorded` events written after it commits, by the worker, a batch per transaction: the
import keeps the envelope they share and how far the worker got; its debts are found by (import, id)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-17
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("legacy_debt_import", sa.Column(
        "events_template", postgresql.JSONB(astext_type=sa.Text()), nullable=True,
        comment="the outbox row (payload, headers, topic) the import's DebtRecorded events share"))
    op.add_column("legacy_debt_import", sa.Column(
        "events_after", sa.UUID(), nullable=True, comment="the last debt (in id order) whose event is written"))
    op.add_column("legacy_debt_import", sa.Column("events_written", sa.Integer(), server_default=sa.text("0"),
                                                  nullable=False))
    op.add_column("legacy_debt_import", sa.Column(
        "events_done_at", sa.DateTime(timezone=True), nullable=True,
        comment="when the last of its DebtRecorded events was written; null while the worker writes them"))
    # Imports before this revision wrote their events in their own transaction.
    op.execute("UPDATE legacy_debt_import SET events_done_at = created_at, events_written = imported, "
               "report = report || jsonb_build_object('events_written', imported, 'events_complete', true)")
    op.create_index("legacy_debt_import_events_pending_idx", "legacy_debt_import", ["created_at"],
                    postgresql_where=sa.text("events_done_at IS NULL"))
    op.create_index("debt_import_idx", "debt", ["import_id", "id"], postgresql_where=sa.text("import_id IS NOT NULL"))


def downgrade() -> None:
    op.drop_index("debt_import_idx", table_name="debt")
    op.drop_index("legacy_debt_import_events_pending_idx", table_name="legacy_debt_import")
    for column in ("events_done_at", "events_written", "events_after", "events_template"):
        op.drop_column("legacy_debt_import", column)
