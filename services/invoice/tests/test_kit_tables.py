"""Invoice's `idempotency_key`, `webhook_delivery` and `client_rate` tables, made by its own migrations (0001, 0005,
0006; the last with kit's migration helper), are exactly what
kit's table factories describe (columns, types, nullability, defaults, keys, indexes): `invoice.models` takes them
from kit, and payment and filing create them with kit's migration helpers."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import MetaData, inspect, text
from sqlalchemy.engine import Connection

from invoice.settings import InvoiceSettings
from kit.db import create_engine
from kit.idempotency import idempotency_table
from kit.ratelimit import client_rate_table
from kit.webhooks import webhook_delivery_table


def _shape(connection: Connection, table: str, schema: str | None) -> Any:
    i = inspect(connection)
    columns = sorted((c["name"], str(c["type"]), getattr(c["type"], "timezone", None), c["nullable"],
                      c.get("default")) for c in i.get_columns(table, schema))
    pk = i.get_pk_constraint(table, schema)
    indexes = sorted((x["name"], tuple(x["column_names"]), x.get("dialect_options", {}).get("postgresql_where"))
                     for x in i.get_indexes(table, schema))
    return columns, (pk["name"], pk["constrained_columns"]), indexes


async def test_the_migrated_tables_are_kits(settings: InvoiceSettings) -> None:
    schema = f"kit_{uuid.uuid4().hex[:8]}"
    engine = create_engine(settings.database, application_name="test.invoice.kit_tables", pool_size=1)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(f"CREATE SCHEMA {schema}"))
            kit = MetaData(schema=schema)
            idempotency_table(kit)
            webhook_delivery_table(kit)
            client_rate_table(kit)
            await conn.run_sync(kit.create_all)
            for table in ("idempotency_key", "webhook_delivery", "client_rate"):
                assert await conn.run_sync(_shape, table, None) == await conn.run_sync(_shape, table, schema), table
            await conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    finally:
        await engine.dispose()
