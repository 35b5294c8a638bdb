"""PPh PHTB validation, land-office webhooks, BPN receipts

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-09
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from kit.webhooks import create_webhook_delivery_table, drop_webhook_delivery_table

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("billing", sa.Column("nop", sa.Text(), nullable=True, comment="PHTB: the property's NOP (18 digits)"))
    op.add_column("billing", sa.Column("transfer_value", sa.Numeric(18, 2), nullable=True,
                                       comment="PHTB: the gross transfer value"))
    op.add_column("billing", sa.Column("buyer_id", sa.Text(), nullable=True,
                                       comment="PHTB: the buyer's NPWP16 or NIK"))
    op.create_check_constraint(
        op.f("billing_phtb_transfer_check"), "billing",
        "(nop IS NULL) = (transfer_value IS NULL) AND (nop IS NULL) = (buyer_id IS NULL)")

    op.execute("CREATE SEQUENCE phtb_validation_number_seq")
    op.create_table(
        "phtb_validation",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("number", sa.Text(), nullable=True, comment="Surat Keterangan Validasi number"),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("nop", sa.Text(), nullable=False),
        sa.Column("seller_npwp", sa.Text(), nullable=False),
        sa.Column("buyer_id", sa.Text(), nullable=False),
        sa.Column("gross_value", sa.Numeric(18, 2), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("rate_percent", sa.Numeric(5, 2), nullable=False),
        sa.Column("tax_amount", sa.Numeric(18, 2), nullable=False),
        sa.Column("ntpn", sa.Text(), nullable=True, comment="the payment; none for a 0% transfer"),
        sa.Column("billing_code", sa.Text(), nullable=True),
        sa.Column("reasons", postgresql.JSONB(astext_type=sa.Text()), nullable=False,
                  comment="why an officer has to decide"),
        sa.Column("requester_kind", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.Text(), nullable=False, comment="the person, or the PPAT's client id"),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.Text(), nullable=True, comment="rules or officer"),
        sa.Column("officer_id", sa.Text(), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("status IN ('pending', 'validated', 'rejected')", name=op.f("phtb_validation_status_check")),
        sa.CheckConstraint("requester_kind IN ('taxpayer', 'ppat')", name=op.f("phtb_validation_requester_kind_check")),
        sa.CheckConstraint("(status = 'validated') = (number IS NOT NULL)", name=op.f("phtb_validation_number_check")),
        sa.CheckConstraint("(status = 'pending') = (decided_at IS NULL)", name=op.f("phtb_validation_decided_check")),
        sa.CheckConstraint("gross_value > 0", name=op.f("phtb_validation_gross_value_positive_check")),
        sa.PrimaryKeyConstraint("id", name=op.f("phtb_validation_pkey")),
        sa.UniqueConstraint("number", name=op.f("phtb_validation_number_key")),
    )
    op.create_index("phtb_validation_ntpn_key", "phtb_validation", ["ntpn"], unique=True,
                    postgresql_where=sa.text("status = 'validated'"))
    op.create_index("phtb_validation_nop_idx", "phtb_validation", ["nop", "ntpn"])
    op.create_index("phtb_validation_queue_idx", "phtb_validation", ["requested_at", "id"],
                    postgresql_where=sa.text("status = 'pending'"))
    op.create_index(op.f("phtb_validation_seller_npwp_idx"), "phtb_validation", ["seller_npwp"])

    op.create_table(
        "land_office_subscription",
        sa.Column("client_id", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("nop_prefixes", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("client_id", name=op.f("land_office_subscription_pkey")),
    )
    create_webhook_delivery_table()


def downgrade() -> None:
    drop_webhook_delivery_table()
    op.drop_table("land_office_subscription")
    op.drop_table("phtb_validation")
    op.execute("DROP SEQUENCE phtb_validation_number_seq")
    op.drop_constraint(op.f("billing_phtb_transfer_check"), "billing", type_="check")
    op.drop_column("billing", "buyer_id")
    op.drop_column("billing", "transfer_value")
    op.drop_column("billing", "nop")
