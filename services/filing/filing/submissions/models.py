"""Tables of the submissions slice: what was signed for a return, the payments a kurang bayar return waits for, the
receipts (BPE), and the certificates that signed."""

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    PrimaryKeyConstraint,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from filing.models import metadata

AMOUNT = Numeric(18, 2)

# The signed submission of an SPT version: the content exactly as signed (canonical JSON: its SHA-256 is the digest
# identity signed), the signature and who made it. One row per version: a version sent back to draft (its billing
# code expired) and submitted again is signed again, and the row holds the newest signature.
spt_submission = Table(
    "spt_submission", metadata,
    Column("spt_id", UUID(as_uuid=True), ForeignKey("spt.id"), primary_key=True),
    Column("content", Text, nullable=False),
    Column("content_digest", Text, nullable=False),  # SHA-256, hex
    Column("signature", Text, nullable=False),  # ECDSA P-256, DER, base64 (identity's answer)
    Column("certificate_serial", Text, nullable=False),
    Column("credential_id", UUID(as_uuid=True), nullable=False),
    Column("signer_account_id", Text),  # the person who signed (null for a machine client)
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    Column("outcome", Text, nullable=False),
    Column("amount_payable", AMOUNT, nullable=False),
    Column("overpayment", AMOUNT, nullable=False),
    Column("due_date", Date, nullable=False),  # effective filing due date
    # what the version owes in full, per KAP-KJS ({"411211-100": "1000000"}): a pembetulan pays what it adds
    Column("payable", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("previous_spt_id", UUID(as_uuid=True)),  # a pembetulan: the filed version it corrects
    Column("tax_raise", AMOUNT, nullable=False, server_default=text("0")),  # over the previous version, all KAP-KJS
    Column("shows_overpayment_or_loss", Boolean, nullable=False, server_default=text("false")),
    CheckConstraint("outcome IN ('kurang_bayar', 'lebih_bayar', 'nihil')", name="outcome"),
)

# What a submitted return waits for before it is filed: one payment per KAP-KJS (PPN and PPnBM are paid apart),
# requested from payment with SPTPaymentRequested, settled by PaymentConfirmed, lapsed by BillingExpired, or covered
# by an instalment or postponement decision (InstalmentGranted naming the SPT: a PPh 29 paid on a schedule).
spt_payment = Table(
    "spt_payment", metadata,
    Column("spt_id", UUID(as_uuid=True), ForeignKey("spt.id"), nullable=False),
    Column("kap_kjs", Text, nullable=False),
    Column("amount", AMOUNT, nullable=False),
    Column("status", Text, nullable=False),
    Column("payment_due_date", Date, nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("billing_code", Text),
    Column("ntpn", Text),
    Column("paid_at", DateTime(timezone=True)),
    Column("payment_id", Text),
    Column("arrangement_id", Text),  # 'instalment': payment's instalment or postponement decision (PPh 29)
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("spt_id", "kap_kjs"),
    CheckConstraint("status IN ('requested', 'paid', 'expired', 'instalment')", name="status"),
)

# The receipt (bukti penerimaan elektronik) of a filed version. `number` is what the public verification takes.
spt_receipt = Table(
    "spt_receipt", metadata,
    Column("number", Text, primary_key=True),
    Column("spt_id", UUID(as_uuid=True), ForeignKey("spt.id"), nullable=False, unique=True),
    Column("npwp", Text, nullable=False),
    Column("form", Text, nullable=False),
    Column("period", Text, nullable=False),
    Column("spt_version", Integer, nullable=False),
    Column("filed_at", DateTime(timezone=True), nullable=False),  # the payment's time for "Bayar dan Lapor"
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("content_digest", Text, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("late", Boolean, nullable=False),
    Column("billing_code", Text),
    Column("ntpn", Text),
    Column("payment_date", Date),
)

# The certificates that signed submissions, from identity's signing answer (the receipt's verification needs the
# public key; one row per certificate, not per return).
signing_certificate = Table(
    "signing_certificate", metadata,
    Column("serial", Text, primary_key=True),
    Column("certificate_pem", Text, nullable=False),
    Column("subject_name", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
