"""The reminders sent: one row per return (NPWP, form, period) and reminder (`d7`, `d1`), so a rerun sends nothing."""

from sqlalchemy import Column, Date, DateTime, Index, Integer, Table, Text, func
from sqlalchemy.dialects.postgresql import UUID

from filing.models import metadata

deadline_reminder = Table(
    "deadline_reminder", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),  # the event's reminder_id
    Column("npwp", Text, nullable=False),
    Column("form", Text, nullable=False),
    Column("period", Text, nullable=False),
    Column("reminder", Text, nullable=False),
    Column("due_date", Date, nullable=False),  # effective (rolled, extended) when it was sent
    Column("days_left", Integer, nullable=False),
    Column("sent_on", Date, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("deadline_reminder_return_idx", "npwp", "form", "period", "reminder", unique=True),
)
