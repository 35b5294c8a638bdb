"""Tables of the obligations slice: the registry status of each taxpayer (identity's TaxpayerUpdated `status`: it
decides KSWP's "NPWP active" and the Art 7(2) cases the registry knows) and the annual extensions (UU KUP Art 3(4))."""

from sqlalchemy import BigInteger, CheckConstraint, Column, Date, DateTime, Index, Integer, Table, Text, func
from sqlalchemy.dialects.postgresql import UUID

from filing.models import metadata

# Keyed by identity's taxpayer id (the NPWP changes with NIK-NPWP matching); a taxpayer without a row is `active`
# (identity's default at registration).
taxpayer_status = Table(
    "taxpayer_status", metadata,
    Column("taxpayer_id", Text, primary_key=True),
    Column("npwp", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("source_sequence", BigInteger, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("taxpayer_status_npwp_idx", "npwp"),
)

# One extension per SPT Tahunan (form, tax year) of a taxpayer.
annual_extension = Table(
    "annual_extension", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("npwp", Text, nullable=False),
    Column("form", Text, nullable=False),
    Column("period", Text, nullable=False),  # the tax year, YYYY
    Column("months", Integer, nullable=False),
    Column("original_due_date", Date, nullable=False),  # effective, before the extension
    Column("nominal_due_date", Date, nullable=False),  # extended, before rolling
    Column("due_date", Date, nullable=False),  # extended and rolled: the effective due date from now on
    Column("requested_on", Date, nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("requested_by", Text, nullable=False),
    CheckConstraint("months BETWEEN 1 AND 2", name="months"),
    CheckConstraint("form IN ('spt_tahunan_op', 'spt_tahunan_badan')", name="form"),
    Index("annual_extension_return_idx", "npwp", "form", "period", unique=True),
)
