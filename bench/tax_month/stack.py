"""The whole stack as `make run` starts it (devstack's `Stack`), on free ports, a temporary data folder and durable
PostgreSQL; the addresses, officer tokens and database connections the benchmark needs around it."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg

from devstack.config import SERVICES, StackConfig
from devstack.processes import free_port
from devstack.secrets import dev_secrets
from devstack.stack import Stack
from kit.testing.tokens import TokenMaker


def stack_config(data_dir: Path) -> StackConfig:
    return StackConfig(
        data_dir=data_dir, pg_port=free_port(), broker_port=free_port(),
        api_ports={s: free_port() for s in SERVICES}, worker_ports={s: free_port() for s in SERVICES},
        durable=True, log_level="WARNING", sandbox_smtp_port=free_port(), sandbox_http_port=free_port(),
        liveness_port=free_port())


@dataclass
class RunningStack:
    stack: Stack
    tokens: TokenMaker = field(init=False)
    pools: dict[str, asyncpg.Pool] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # what `python -m devstack token` does, in-process: the stack's development key signs officers' tokens
        self.tokens = TokenMaker.from_pem(dev_secrets(self.stack.config.data_dir)["IDENTITY_TOKENS__SIGNING_KEY"])

    def api(self, service: str) -> str:
        return self.stack.config.api_url(service)

    @property
    def sandbox(self) -> str:
        return self.stack.config.sandbox_url

    @property
    def bootstrap(self) -> str:
        return self.stack.bootstrap

    def officer(self, *scopes: str, kind: str = "officer") -> dict[str, str]:
        client = f"devstack-{kind}"
        token = self.tokens.make(subject=client, scopes=scopes, expires_in=3600, client_id=client, client_kind=kind)
        return {"authorization": f"Bearer {token}"}

    def dsn(self, service: str) -> str:
        return self.stack.database_url(service).replace("postgresql+asyncpg://", "postgresql://")

    @property
    def server_dsn(self) -> str:
        return self.stack.server_url.replace("postgresql+asyncpg://", "postgresql://")

    def pids(self) -> dict[str, int]:
        """Each process of the stack (PostgreSQL's postmaster and the broker included) by name."""
        pids = {c.name: c.proc.pid for c in self.stack.children if c.proc is not None}
        if self.stack.postgres is not None and getattr(self.stack.postgres, "proc", None) is not None:
            pids["postgres"] = self.stack.postgres.proc.pid  # type: ignore[union-attr]
        if self.stack.broker is not None and getattr(self.stack.broker, "proc", None) is not None:
            pids["broker"] = self.stack.broker.proc.pid  # type: ignore[union-attr]
        return pids

    async def fetch(self, service: str, sql: str, *args: Any) -> list[asyncpg.Record]:
        async with self.pools[service].acquire() as conn:
            return list(await conn.fetch(sql, *args))

    async def scalar(self, service: str, sql: str, *args: Any) -> Any:
        async with self.pools[service].acquire() as conn:
            return await conn.fetchval(sql, *args)


@asynccontextmanager
async def running_stack(workdir: Path | None = None, keep_logs: Path | None = None) -> AsyncIterator[RunningStack]:
    """Start it (PostgreSQL durable: fsync and synchronous_commit on), yield it, stop it whatever happened; the
    processes' logs are copied to `keep_logs` (replacing what was there) before the data folder goes."""
    own = workdir is None
    workdir = workdir or Path(tempfile.mkdtemp(prefix="lontar-bench-month-"))
    stack = Stack(stack_config(workdir / "stack"))
    try:
        await asyncio.to_thread(stack.start, timeout=180)
        running = RunningStack(stack)
        for service in SERVICES:  # read-only checks and samples: small pools, beside the services' own
            running.pools[service] = await asyncpg.create_pool(running.dsn(service), min_size=1, max_size=2)
        try:
            yield running
        finally:
            for pool in running.pools.values():
                await pool.close()
    finally:
        await asyncio.to_thread(stack.stop)
        if keep_logs is not None and stack.logs_dir.exists():
            shutil.rmtree(keep_logs, ignore_errors=True)
            shutil.copytree(stack.logs_dir, keep_logs)
        if own:
            shutil.rmtree(workdir, ignore_errors=True)
