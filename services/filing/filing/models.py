"""Tables of the filing database shared by every slice: the taxpayer replica, outbox, inbox, idempotency keys, rates.
Each slice keeps its own tables in its `models.py`, on this metadata (`migrations/env.py` imports them all)."""

from sqlalchemy.orm import DeclarativeBase

from kit.db import make_metadata
from kit.idempotency import idempotency_table
from kit.inbox import inbox_table
from kit.outbox import outbox_table
from kit.ratelimit import client_rate_table
from kit.replica import taxpayer_replica_table


class Base(DeclarativeBase):
    metadata = make_metadata()


taxpayer = taxpayer_replica_table(Base.metadata)
outbox = outbox_table(Base.metadata)
inbox = inbox_table(Base.metadata)
idempotency_key = idempotency_table(Base.metadata)
client_rate = client_rate_table(Base.metadata)  # PJAP clients' rates, shared by the API replicas
metadata = Base.metadata
