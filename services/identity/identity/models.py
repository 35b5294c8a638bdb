"""Tables of the identity database."""

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Text, func
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kit.db import Timestamps, make_metadata
from kit.inbox import inbox_table
from kit.outbox import outbox_table


class Base(DeclarativeBase):
    metadata = make_metadata()


class Taxpayer(Timestamps, Base):
    __tablename__ = "taxpayer"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    npwp: Mapped[str] = mapped_column(Text, unique=True)
    nitku: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(BigInteger, default=1)
    registered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


outbox = outbox_table(Base.metadata)
inbox = inbox_table(Base.metadata)
metadata = Base.metadata
