"""Tables of the sanctions slice: the STP (Surat Tagihan Pajak, UU KUP Art 14) issued for each sanction."""

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    Numeric,
    Sequence,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import UUID

from filing.models import metadata

AMOUNT = Numeric(18, 2)
RATE = Numeric(7, 4)

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
    # interest STPs (Art 9(2a)): the tax it runs on, the months and the KMK rate applied
    Column("principal", AMOUNT),
    Column("interest_months", Integer),
    Column("monthly_rate_percent", RATE),
    Column("invoice_id", Text),  # the late faktur (Art 14(4))
    Column("run_id", UUID(as_uuid=True)),  # the sanction run that issued it
    CheckConstraint("reason IN ('late_filing', 'not_filed', 'late_payment', 'correction_interest', 'late_faktur')",
                    name="reason"),
    CheckConstraint("amount > 0", name="amount"),
    Index("stp_return_fine_idx", "npwp", "form", "period", unique=True,
          postgresql_where=text("reason IN ('late_filing', 'not_filed')")),
    Index("stp_spt_id_idx", "spt_id"),
    # one Art 14(4) fine per faktur, one Art 9(2a) interest STP per payment of a return (KAP-KJS)
    Index("stp_late_faktur_idx", "invoice_id", unique=True, postgresql_where=text("reason = 'late_faktur'")),
    Index("stp_late_payment_idx", "spt_id", "kap_kjs", unique=True, postgresql_where=text("reason = 'late_payment'")),
)

# One row per sanction run: which deadline, on which day, by whom, and how many STPs it issued.
sanction_run = Table(
    "sanction_run", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("obligation", Text, nullable=False),
    Column("period", Text, nullable=False),
    Column("due_date", Date, nullable=False),  # the effective deadline (without extensions)
    Column("run_on", Date, nullable=False),  # the STPs' issue date
    Column("trigger", Text, nullable=False),
    Column("officer_account_id", Text),
    Column("issued", Integer, nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("trigger IN ('officer', 'schedule')", name="trigger"),
    Index("sanction_run_deadline_idx", "obligation", "period", "run_on"),
)
