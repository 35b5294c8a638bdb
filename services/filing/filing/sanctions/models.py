"""Tables of the sanctions slice: the STP (Surat Tagihan Pajak, UU KUP Art 14) issued for each sanction."""

from sqlalchemy import CheckConstraint, Column, Date, DateTime, Index, Numeric, Sequence, Table, Text, func, text
from sqlalchemy.dialects.postgresql import UUID

from filing.models import metadata

AMOUNT = Numeric(18, 2)

# STP numbers: STP-<year of issue>-<serial>, the serial from this sequence (gaps are harmless).
stp_number_seq = Sequence("stp_number_seq", metadata=metadata)

# One row per STP. A return bears one Art 7(1) fine (late or not filed), whoever issues it first: the partial unique
# index makes issuing it again a no-op, so the completion of a filing and a sanction run can both try.
stp = Table(
    "stp", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("number", Text, nullable=False, unique=True),
    Column("npwp", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("basis", Text, nullable=False),
    Column("kap_kjs", Text, nullable=False),
    Column("amount", AMOUNT, nullable=False),
    Column("form", Text),
    Column("period", Text),
    Column("spt_id", UUID(as_uuid=True)),
    Column("issued_on", Date, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("reason IN ('late_filing', 'not_filed', 'late_payment', 'correction_interest', 'late_faktur')",
                    name="reason"),
    CheckConstraint("amount > 0", name="amount"),
    Index("stp_return_fine_idx", "npwp", "form", "period", unique=True,
          postgresql_where=text("reason IN ('late_filing', 'not_filed')")),
    Index("stp_spt_id_idx", "spt_id"),
)
