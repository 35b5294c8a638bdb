"""Tables of the warnings slice: the written warnings (Surat Teguran) officers recorded for a taxpayer's return."""

from sqlalchemy import Column, Date, DateTime, Index, Table, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import UUID

from filing.models import metadata

written_warning = Table(
    "written_warning", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("number", Text, nullable=False),  # the letter's own number, as the tax office wrote it
    Column("npwp", Text, nullable=False),
    Column("form", Text, nullable=False),
    Column("period", Text, nullable=False),
    Column("warned_on", Date, nullable=False),  # the letter's date
    Column("officer_account_id", Text, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("number", name="written_warning_number_key"),
    Index("written_warning_return_idx", "npwp", "form", "period"),
)
