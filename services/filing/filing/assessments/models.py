"""Tables of the assessments slice. Only `audit` so far, minimal: the fact that the DJP started an audit of a
taxpayer's period, which UU KUP Art 3(7)(d) and Art 8(1) read. Opening and closing audits (officer routes,
`AuditStarted`/`AuditClosed`) and the SKP are still to come (issue 13 item 7)."""

from sqlalchemy import Column, DateTime, Index, Table, Text, func
from sqlalchemy.dialects.postgresql import UUID

from filing.models import metadata

audit = Table(
    "audit", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("npwp", Text, nullable=False),
    Column("period", Text, nullable=False),
    Column("form", Text),  # null: every tax of the period is audited
    Column("audit_type", Text, nullable=False),  # field | office
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("closed_at", DateTime(timezone=True)),
    Column("officer_account_id", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("audit_npwp_period_idx", "npwp", "period"),
)
