"""The PKP status replica: every PKPStatusChanged identity published, with its effective date."""

from sqlalchemy import BigInteger, Boolean, Column, Date, DateTime, PrimaryKeyConstraint, Table, Text, func
from sqlalchemy.dialects.postgresql import UUID

from filing.models import metadata

# Keyed by identity's taxpayer id, not the NPWP: the NPWP changes with NIK-NPWP matching and the taxpayer replica
# (kit.replica) follows the id. One row per fact: a redelivered or republished change finds its row.
pkp_status_change = Table(
    "pkp_status_change", metadata,
    Column("taxpayer_id", Text, nullable=False),
    Column("source_sequence", BigInteger, nullable=False),  # identity's taxpayer version: orders same-day changes
    Column("effective_date", Date, nullable=False),
    Column("is_pkp", Boolean, nullable=False),
    Column("npwp", Text, nullable=False),  # as the event named it
    Column("event_id", UUID(as_uuid=True), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("taxpayer_id", "source_sequence", "effective_date", "is_pkp"),
)
