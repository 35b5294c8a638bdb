"""Art 19 interest on a debt whose month has no KMK rate waits for that month's publication instead of being tried
again every day: the month it waits for, and the waiting debts found by month

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-18
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("debt", sa.Column(
        "interest_waiting_month", sa.Date(), nullable=True,
        comment="the first day of the month whose KMK rate Art 19 interest waits for (published: re-armed)"))
    op.create_check_constraint(op.f("debt_interest_waiting_month_first_day_check"), "debt",
                               "EXTRACT(DAY FROM interest_waiting_month) = 1")
    op.create_index("debt_interest_waiting_idx", "debt", ["interest_waiting_month"],
                    postgresql_where=sa.text("status = 'open' AND interest_waiting_month IS NOT NULL"))
    # Debts tried again every day so far stay due: the worker's next pass moves those still without a rate to
    # waiting, a batch per statement.


def downgrade() -> None:
    # A waiting debt is due again: the worker tries it every day, as before this revision.
    op.execute("UPDATE debt d SET interest_next_on = current_date WHERE d.interest_waiting_month IS NOT NULL "
               "AND d.status = 'open' AND d.interest_next_on IS NULL AND NOT EXISTS (SELECT FROM "
               "instalment_arrangement a WHERE a.debt_id = d.id AND a.status = 'granted')")
    op.drop_index("debt_interest_waiting_idx", table_name="debt")
    op.drop_constraint(op.f("debt_interest_waiting_month_first_day_check"), "debt", type_="check")
    op.drop_column("debt", "interest_waiting_month")
