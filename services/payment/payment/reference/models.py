"""Payment's copy of the reference data filing publishes: each year's days off in force (the highest revision
received) and each month's KMK rates. On payment's metadata (`payment.models`); `migrations/env.py` imports it."""

from sqlalchemy import CheckConstraint, Column, Date, DateTime, Integer, Numeric, Table, Text
from sqlalchemy.dialects.postgresql import JSONB

from payment.models import Base

RATE = Numeric(7, 4)  # percent per month

working_calendar_year = Table(
    "working_calendar_year", Base.metadata,
    Column("year", Integer, primary_key=True),
    Column("revision", Integer, nullable=False),  # filing's; a lower one arriving late changes nothing
    Column("days", JSONB, nullable=False),  # [{date, kind, name}] in date order
    Column("basis_number", Text, nullable=False),
    Column("basis_signed_on", Date, nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("revision >= 1", name="revision_positive"),
)

interest_rate_month = Table(
    "interest_rate_month", Base.metadata,
    Column("month", Text, primary_key=True),  # YYYY-MM
    Column("tier_1", RATE, nullable=False),
    Column("tier_2", RATE, nullable=False),
    Column("tier_3", RATE, nullable=False),
    Column("tier_4", RATE, nullable=False),
    Column("tier_5", RATE, nullable=False),
    Column("imbalan_bunga", RATE, nullable=False),
    Column("kmk_number", Text, nullable=False),
    Column("kmk_signed_on", Date, nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'", name="month_format"),
)
