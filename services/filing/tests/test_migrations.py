"""The migrations build exactly the tables the code declares (no drift between models and Alembic revisions)."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection

import filing.assessments.models  # noqa: F401  (the slices' tables, as migrations/env.py loads them)
import filing.registry.models  # noqa: F401
import filing.returns.models  # noqa: F401
import filing.sanctions.models  # noqa: F401
import filing.submissions.models  # noqa: F401
from filing.models import metadata
from filing.settings import FilingSettings
from kit.db import create_engine


async def test_the_migrated_database_matches_the_models(settings: FilingSettings) -> None:
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
