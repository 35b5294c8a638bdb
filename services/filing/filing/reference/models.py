"""Tables of the reference slice: each publication of a year's days off (kept with every revision: an SKB can be
amended) and each month's KMK interest rates (one row: a KMK is not amended)."""

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Identity,
    Integer,
    Numeric,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB

from filing.models import metadata

RATE = Numeric(7, 4)  # percent per month

calendar_publication = Table(
    "calendar_publication", metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("year", Integer, nullable=False),
    Column("revision", Integer, nullable=False),  # 1, 2, ...: the highest is in force; the packaged list is 0
    Column("days", JSONB, nullable=False),  # [{date, kind, name}] in date order
    Column("basis_number", Text, nullable=False),  # the SKB (or its amendment)
    Column("basis_signed_on", Date, nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=False),
    Column("published_by", Text, nullable=False),
    UniqueConstraint("year", "revision"),
    CheckConstraint("revision >= 1", name="revision_positive"),
)

interest_rate_publication = Table(
    "interest_rate_publication", metadata,
    Column("month", Text, primary_key=True),  # YYYY-MM
    Column("tier_1", RATE, nullable=False),  # Art 19(1)-(3)
    Column("tier_2", RATE, nullable=False),  # Art 8(2)(2a), 9(2a)(2b), 14(3)
    Column("tier_3", RATE, nullable=False),  # Art 8(5)
    Column("tier_4", RATE, nullable=False),  # Art 13(2)(2a)
    Column("tier_5", RATE, nullable=False),  # Art 13(3b)
    Column("imbalan_bunga", RATE, nullable=False),
    Column("kmk_number", Text, nullable=False),
    Column("kmk_signed_on", Date, nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=False),
    Column("published_by", Text, nullable=False),
    CheckConstraint("month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'", name="month_format"),
    CheckConstraint("tier_1 > 0 AND tier_2 > 0 AND tier_3 > 0 AND tier_4 > 0 AND tier_5 > 0 AND imbalan_bunga > 0",
                    name="rates_positive"),
)
