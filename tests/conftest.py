"""Cross-service end-to-end tests: the whole stack as `make run` starts it (same code), on free ports and a
throw-away data folder, so it can run beside a developer's own `make run`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devstack.config import SERVICES, StackConfig
from devstack.processes import free_port
from devstack.stack import Stack


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    config = StackConfig(
        data_dir=tmp_path_factory.mktemp("stack"),
        pg_port=free_port(),
        broker_port=free_port(),
        api_ports={s: free_port() for s in SERVICES},
        worker_ports={s: free_port() for s in SERVICES},
        durable=False,
        log_level="WARNING",
        sandbox_smtp_port=free_port(),
        sandbox_http_port=free_port(),
        liveness_port=free_port(),
    )
    stack = Stack(config)
    stack.start(timeout=120)
    try:
        yield stack
    finally:
        stack.stop()
