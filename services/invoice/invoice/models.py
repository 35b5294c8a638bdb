"""Tables of the invoice database."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    SmallInteger,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase

from kit.db import make_metadata
from kit.idempotency import idempotency_table
from kit.inbox import inbox_table
from kit.outbox import outbox_table
from kit.ratelimit import client_rate_table
from kit.replica import taxpayer_replica_table
from kit.webhooks import webhook_delivery_table


class Base(DeclarativeBase):
    metadata = make_metadata()


metadata = Base.metadata
taxpayer = taxpayer_replica_table(metadata)
taxpayer.append_column(Column("address", Text))  # from TaxpayerUpdated; printed on the PDF (migration 0003)
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)

AMOUNT = Numeric(20, 2)

# PKP status changes from identity's PKPStatusChanged: the status on a date is the latest change on or before it.
pkp_status_change = Table(
    "pkp_status_change", metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("npwp", Text, nullable=False),
    Column("effective_date", Date, nullable=False),
    Column("is_pkp", SmallInteger, nullable=False),  # 1/0
    Column("source_sequence", BigInteger, nullable=False),
    Column("event_id", UUID(as_uuid=True), nullable=False, unique=True),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("pkp_status_change_npwp_idx", "npwp", "effective_date"),
)

invoice = Table(
    "invoice", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("seller_npwp", Text, nullable=False),
    Column("seller_nitku", Text, nullable=False),
    Column("status", Text, nullable=False),  # draft | signed | cancelled | replaced
    Column("invoice_date", Date, nullable=False),
    Column("period", Text, nullable=False),  # YYYY-MM of the invoice date
    Column("trx_code", Text, nullable=False),
    Column("add_info", Text),
    Column("facility_stamp", Text),
    Column("custom_doc", Text),
    Column("custom_doc_month_year", Text),
    Column("ref_desc", Text),
    Column("buyer_document", Text, nullable=False),
    Column("buyer_tin", Text, nullable=False),
    Column("buyer_document_number", Text),
    Column("buyer_country", Text),
    Column("buyer_name", Text),
    Column("buyer_address", Text),
    Column("buyer_email", Text),
    Column("buyer_nitku", Text, nullable=False),
    Column("dpp", AMOUNT, nullable=False),
    Column("dpp_other", AMOUNT, nullable=False),
    Column("ppn", AMOUNT, nullable=False),
    Column("ppnbm", AMOUNT, nullable=False),
    Column("nsfp", Text, unique=True),
    Column("signed_at", DateTime(timezone=True)),
    Column("signature", Text),
    Column("content_digest", Text),
    Column("certificate_serial", Text),
    Column("signed_by", Text),
    Column("upload_id", UUID(as_uuid=True)),
    Column("upload_position", Integer),
    Column("created_by", Text, nullable=False),
    Column("version", Integer, nullable=False, server_default=text("1")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # lifecycle (migration 0004): NSFP status code (00 normal, 01.. replacements), the chain, cancellation and the
    # buyer's input-tax decision
    Column("status_code", SmallInteger, nullable=False, server_default=text("0")),
    Column("replaces_id", UUID(as_uuid=True)),
    Column("replaced_by", UUID(as_uuid=True)),
    Column("cancelled_at", DateTime(timezone=True)),
    Column("cancellation", JSONB),
    Column("input_tax_action", Text),  # credit | reject
    Column("input_tax_period", Text),
    Column("input_tax_at", DateTime(timezone=True)),
    Index("invoice_seller_list_idx", "seller_npwp", "created_at", "id"),
    Index("invoice_buyer_list_idx", "buyer_tin", "created_at", "id", postgresql_where=text("status = 'signed'")),
    Index("invoice_seller_ref_key", "seller_npwp", "ref_desc", unique=True,
          postgresql_where=text("ref_desc IS NOT NULL AND replaces_id IS NULL")),
    Index("invoice_replaces_idx", "replaces_id", postgresql_where=text("replaces_id IS NOT NULL")),
)

# Nota Retur: the buyer returns part of a signed invoice, by line and quantity (cumulative never above the invoice).
invoice_return = Table(
    "invoice_return", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("invoice_id", UUID(as_uuid=True), ForeignKey("invoice.id"), nullable=False),
    Column("number", Text),
    Column("seller_npwp", Text, nullable=False),
    Column("buyer_npwp", Text, nullable=False),
    Column("return_date", Date, nullable=False),
    Column("period", Text, nullable=False),
    Column("dpp", AMOUNT, nullable=False),
    Column("dpp_other", AMOUNT, nullable=False),
    Column("ppn", AMOUNT, nullable=False),
    Column("ppnbm", AMOUNT, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("invoice_return_invoice_idx", "invoice_id"),
)

invoice_return_line = Table(
    "invoice_return_line", metadata,
    Column("return_id", UUID(as_uuid=True), ForeignKey("invoice_return.id", ondelete="CASCADE"), primary_key=True),
    Column("line_no", Integer, primary_key=True),
    Column("qty", AMOUNT, nullable=False),
    Column("tax_base", AMOUNT, nullable=False),
    Column("other_tax_base", AMOUNT, nullable=False),
    Column("vat", AMOUNT, nullable=False),
    Column("stlg", AMOUNT, nullable=False),
)

invoice_line = Table(
    "invoice_line", metadata,
    Column("invoice_id", UUID(as_uuid=True), ForeignKey("invoice.id", ondelete="CASCADE"), primary_key=True),
    Column("line_no", Integer, primary_key=True),
    Column("opt", Text, nullable=False),
    Column("code", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("unit", Text, nullable=False),
    Column("price", AMOUNT, nullable=False),
    Column("qty", AMOUNT, nullable=False),
    Column("discount", AMOUNT, nullable=False),
    Column("tax_base", AMOUNT, nullable=False),
    Column("other_tax_base", AMOUNT, nullable=False),
    Column("vat_rate", Numeric(7, 4), nullable=False),
    Column("vat", AMOUNT, nullable=False),
    Column("stlg_rate", Numeric(7, 4), nullable=False),
    Column("stlg", AMOUNT, nullable=False),
)

invoice_upload = Table(
    "invoice_upload", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("seller_npwp", Text, nullable=False),
    Column("state", Text, nullable=False),  # received | processing | completed | rejected
    Column("content", LargeBinary),  # the file as received; kept until processed, so nothing submitted is lost
    Column("size_bytes", BigInteger, nullable=False),
    Column("filename", Text),
    Column("total", Integer),
    Column("accepted", Integer),
    Column("failed", Integer),
    Column("error", JSONB),  # file-level rejection {code, message, path}
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("lease_until", DateTime(timezone=True)),
    Column("created_by", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("completed_at", DateTime(timezone=True)),
    Column("callback_url", Text),  # webhook on completion (invoice.webhooks)
    Column("callback_client", Text),  # whose webhook secret signs it
    Index("invoice_upload_pending_idx", "created_at", postgresql_where=text("state IN ('received', 'processing')")),
)

invoice_upload_result = Table(
    "invoice_upload_result", metadata,
    Column("upload_id", UUID(as_uuid=True), ForeignKey("invoice_upload.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("ref_desc", Text),
    Column("invoice_id", UUID(as_uuid=True)),
    Column("errors", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("warnings", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
)

# One row per year: the last 13-digit serial handed out. Allocation happens in the transaction that signs, so a
# serial is used exactly once and never reused.
nsfp_counter = Table(
    "nsfp_counter", metadata,
    Column("year", Integer, primary_key=True),
    Column("last_serial", BigInteger, nullable=False),
)

# Certificates that signed invoices (from identity's signing answer): the PDF's signer and public verification.
signing_certificate = Table(
    "signing_certificate", metadata,
    Column("serial", Text, primary_key=True),
    Column("certificate_pem", Text, nullable=False),
    Column("subject_name", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

signing_job = Table(
    "signing_job", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("seller_npwp", Text, nullable=False),
    Column("state", Text, nullable=False),  # running | completed
    Column("credential_id", Text, nullable=False),
    Column("account_id", Text),
    Column("requested_by", Text, nullable=False),
    Column("total", Integer, nullable=False),
    Column("signed", Integer, nullable=False, server_default=text("0")),
    Column("failed", Integer, nullable=False, server_default=text("0")),
    Column("heartbeat_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("completed_at", DateTime(timezone=True)),
    Column("callback_url", Text),
    Column("callback_client", Text),
)

signing_job_item = Table(
    "signing_job_item", metadata,
    Column("job_id", UUID(as_uuid=True), ForeignKey("signing_job.id", ondelete="CASCADE"), primary_key=True),
    Column("invoice_id", UUID(as_uuid=True), primary_key=True),
    Column("state", Text, nullable=False),  # pending | signed | failed
    Column("error", JSONB),
    Index("signing_job_item_invoice_idx", "invoice_id"),
)

# Idempotency-Key claims (kit.idempotency: the same table as migrations 0001 and 0005 made).
idempotency_key = idempotency_table(metadata)

# Webhooks to PJAP integrators, written in the transaction that finishes the job, sent by the job loop
# (kit.webhooks: the same table as migration 0005 made).
webhook_delivery = webhook_delivery_table(metadata)

# PJAP clients' rates, shared by the API replicas (kit.ratelimit: the same table as migration 0006 made).
client_rate = client_rate_table(metadata)
