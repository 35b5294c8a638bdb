"""pytest plugin loaded in every Lontar test run (entry point `lontar_devstack`).

Session-wide: one embedded PostgreSQL and one broker (started synchronously, shared as plain values). Everything bound
to an event loop (engines, Kafka clients) is created per test, inside the test's own loop.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devstack.testing.infra import Infra, start_infra


@pytest.fixture(scope="session")
def infra(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Infra]:
    started = start_infra(tmp_path_factory.mktemp("lontar-infra"))
    try:
        yield started
    finally:
        started.stop()
