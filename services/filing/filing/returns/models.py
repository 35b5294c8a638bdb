"""Tables of the returns slice: the invoice facts the SPT Masa PPN prefill is built from (one small row per invoice,
nota retur and input-tax decision: what each contributed, so a cancellation takes back exactly what the signature
added, and a fact delivered twice finds its row), the per-period aggregates the draft is read from, and the SPT
returns themselves."""

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Index,
    Integer,
    Numeric,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from filing.models import metadata

AMOUNT = Numeric(18, 2)  # one document's figure
TOTAL = Numeric(20, 2)  # a period's sum

# One row per invoice, written by the first event that names it. `pending`: a nota retur or an input-tax decision
# arrived before the InvoiceSigned (they travel on the buyer's partition, the signature on the seller's). `signed`:
# its amounts count in the seller's output. `cancelled`/`replaced`: nothing about it counts any more (its output,
# the nota retur against it, the buyer's credit); these states are final, so the order of arrival does not matter.
ppn_invoice = Table(
    "ppn_invoice", metadata,
    Column("invoice_id", Text, primary_key=True),
    Column("state", Text, nullable=False),
    Column("seller_npwp", Text, nullable=False),
    Column("buyer_npwp", Text),
    Column("transaction_code", Text, nullable=False),
    Column("period", Text),  # the invoice's tax period; unknown while pending on a nota retur
    Column("dpp", AMOUNT, nullable=False, server_default=text("0")),  # counted while `signed`
    Column("dpp_other", AMOUNT, nullable=False, server_default=text("0")),
    Column("ppn", AMOUNT, nullable=False, server_default=text("0")),
    Column("ppnbm", AMOUNT, nullable=False, server_default=text("0")),
    Column("replaced_by", Text),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("state IN ('pending', 'signed', 'cancelled', 'replaced')", name="state"),
)

# A nota retur: it reduces the seller's output (by the invoice's transaction code) and, when the buyer credited the
# invoice, the buyer's input tax, both in the return's period; each side is flagged once counted.
ppn_return = Table(
    "ppn_return", metadata,
    Column("return_id", Text, primary_key=True),
    Column("invoice_id", Text, nullable=False),
    Column("seller_npwp", Text, nullable=False),
    Column("buyer_npwp", Text, nullable=False),
    Column("period", Text, nullable=False),
    Column("transaction_code", Text, nullable=False),
    Column("dpp", AMOUNT, nullable=False),
    Column("dpp_other", AMOUNT, nullable=False),
    Column("ppn", AMOUNT, nullable=False),
    Column("ppnbm", AMOUNT, nullable=False),
    Column("seller_counted", Boolean, nullable=False),
    Column("buyer_counted", Boolean, nullable=False),
    Index("ppn_return_invoice_id_idx", "invoice_id"),
)

# The buyer's decision on an invoice's input tax (one per invoice): a credit counts in the buyer's period of the
# decision while the invoice stands.
ppn_input_credit = Table(
    "ppn_input_credit", metadata,
    Column("invoice_id", Text, primary_key=True),
    Column("buyer_npwp", Text, nullable=False),
    Column("seller_npwp", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("period", Text, nullable=False),
    Column("invoice_period", Text, nullable=False),
    Column("ppn", AMOUNT, nullable=False),
    Column("ppnbm", AMOUNT, nullable=False),
    Column("counted", Boolean, nullable=False),
    CheckConstraint("action IN ('credit', 'reject')", name="action"),
)

# The seller's side of the SPT Masa PPN: per taxpayer, period and transaction code, kept up to date by the consumer
# (added to and taken from, never recomputed), so reading a draft is one small query.
ppn_output = Table(
    "ppn_output", metadata,
    Column("npwp", Text, nullable=False),
    Column("period", Text, nullable=False),
    Column("transaction_code", Text, nullable=False),
    Column("invoices", Integer, nullable=False, server_default=text("0")),
    Column("dpp", TOTAL, nullable=False, server_default=text("0")),
    Column("dpp_other", TOTAL, nullable=False, server_default=text("0")),
    Column("ppn", TOTAL, nullable=False, server_default=text("0")),
    Column("ppnbm", TOTAL, nullable=False, server_default=text("0")),
    Column("returns", Integer, nullable=False, server_default=text("0")),
    Column("returned_dpp", TOTAL, nullable=False, server_default=text("0")),
    Column("returned_dpp_other", TOTAL, nullable=False, server_default=text("0")),
    Column("returned_ppn", TOTAL, nullable=False, server_default=text("0")),
    Column("returned_ppnbm", TOTAL, nullable=False, server_default=text("0")),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("npwp", "period", "transaction_code"),
)

# The buyer's side: input tax credited in the period, and nota retur the taxpayer issued as buyer on credited
# invoices.
ppn_input = Table(
    "ppn_input", metadata,
    Column("npwp", Text, nullable=False),
    Column("period", Text, nullable=False),
    Column("credited_invoices", Integer, nullable=False, server_default=text("0")),
    Column("credited_ppn", TOTAL, nullable=False, server_default=text("0")),
    Column("returns", Integer, nullable=False, server_default=text("0")),
    Column("returned_ppn", TOTAL, nullable=False, server_default=text("0")),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("npwp", "period"),
)

# An SPT: one row per version (0 Normal, 1.. Pembetulan ke-n) of a taxpayer's return of a form and period. At most
# one version is open (draft, or awaiting payment) at a time. `revision` counts changes to the row: the sequence of
# its events.
spt = Table(
    "spt", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("npwp", Text, nullable=False),
    Column("form", Text, nullable=False),
    Column("period", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("status", Text, nullable=False),
    Column("other_input_ppn", AMOUNT, nullable=False, server_default=text("0")),  # entered by the taxpayer
    Column("compensation", AMOUNT, nullable=False, server_default=text("0")),  # an earlier lebih bayar carried in
    # a data-driven form's entries (`forms/`): {field: value}, amounts as strings; the attachments it carries
    Column("figures", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("attachments", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("revision", Integer, nullable=False, server_default=text("1")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("filed_at", DateTime(timezone=True)),
    CheckConstraint("status IN ('draft', 'awaiting_payment', 'filed')", name="status"),
    CheckConstraint("version >= 0", name="version"),
    UniqueConstraint("npwp", "form", "period", "version"),
    Index("spt_open_idx", "npwp", "form", "period", unique=True, postgresql_where=text("status <> 'filed'")),
)
