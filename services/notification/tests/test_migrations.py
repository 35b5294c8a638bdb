"""The migrations build exactly the tables the code declares (no drift between models and Alembic revisions)."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection

from kit.db import create_engine
from notification.models import metadata
from notification.settings import NotificationSettings


async def test_the_migrated_database_matches_the_models(settings: NotificationSettings) -> None:
    def diff(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))

    engine = create_engine(settings.database, application_name="test.migrations", pool_size=1)
    try:
        async with engine.connect() as conn:
            differences = await conn.run_sync(diff)
    finally:
        await engine.dispose()
    assert differences == []
