"""Alembic glue: each service keeps its migrations inside its package (`<service>/migrations`), so an installed
package carries them; `python -m <service>.migrate` upgrades its database to head."""

from __future__ import annotations

import asyncio

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine


def alembic_config(package: str, url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", f"{package}:migrations")
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.set_main_option("file_template", "%%(year)d-%%(month).2d-%%(day).2d_%%(slug)s")
    return config


def upgrade(package: str, url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(package, url), revision)


def run_env(target_metadata: MetaData) -> None:
    """Body of every service's `migrations/env.py`."""
    url = context.config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url is not set"
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return

    def migrate(connection: Connection) -> None:
        context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()

    async def run() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(migrate)
        await engine.dispose()

    asyncio.run(run())
