"""Real PostgreSQL and a real Kafka-protocol broker for a test session, on free loopback ports.

Set LONTAR_TEST_DATABASE_URL (a superuser URL of an existing server) or LONTAR_TEST_KAFKA_BOOTSTRAP to use servers
that are already running instead of starting embedded ones.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from contracts.topics import TOPICS
from devstack.broker import EmbeddedBroker
from devstack.postgres import EmbeddedPostgres, ensure_databases
from devstack.processes import free_port
from devstack.sync import run
from kit.kafka import create_topics


@dataclass
class Infra:
    server_url: str
    bootstrap: str
    postgres: EmbeddedPostgres | None = None
    broker: EmbeddedBroker | None = None
    _migrated: set[str] = field(default_factory=set)

    def database_url(self, name: str) -> str:
        return f"{self.server_url.rpartition('/')[0]}/{name}"

    def create_database(self, name: str) -> str:
        run(ensure_databases(self.server_url, [name]))
        return self.database_url(name)

    def migrated_database(self, package: str) -> str:
        """`<package>_test`, created and migrated to head once per session."""
        name = f"{package}_test"
        url = self.create_database(name)
        if package not in self._migrated:
            from kit.migrations import upgrade

            with ThreadPoolExecutor(1) as pool:  # Alembic's env runs its own event loop: keep it off the test's
                pool.submit(upgrade, package, url).result()
            self._migrated.add(package)
        return url

    def stop(self) -> None:
        if self.broker is not None:
            self.broker.stop()
        if self.postgres is not None:
            self.postgres.stop()


def start_infra(workdir: Path) -> Infra:
    server_url = os.environ.get("LONTAR_TEST_DATABASE_URL")
    bootstrap = os.environ.get("LONTAR_TEST_KAFKA_BOOTSTRAP")
    postgres = broker = None
    try:
        if not server_url:
            postgres = EmbeddedPostgres(workdir / "postgres", port=free_port(), durable=False)
            postgres.start()
            server_url = postgres.url()
        if not bootstrap:
            broker = EmbeddedBroker(port=free_port(), log_path=workdir / "broker.log")
            broker.start()
            bootstrap = broker.bootstrap
        run(create_topics(bootstrap, [(t.name, t.partitions) for t in TOPICS]))
    except BaseException:
        if broker is not None:
            broker.stop()
        if postgres is not None:
            postgres.stop()
        raise
    return Infra(server_url, bootstrap, postgres, broker)

