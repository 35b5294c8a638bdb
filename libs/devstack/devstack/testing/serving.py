"""An ASGI app over real HTTP for a test: uvicorn on a free loopback port, in a thread of its own with its own event
loop (the app's lifespan, when on, runs there), stopped on the way out. For what a test needs to reach by URL: a
webhook receiver, a stand-in provider, a service another one calls."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from devstack.processes import free_port


@contextmanager
def serving(app: Any, *, name: str = "test-server", lifespan: str = "off", start_timeout_s: float = 30.0,
            **config: Any) -> Iterator[str]:
    """The app's base URL (`https://` when `ssl_certfile` is given) while the server runs. `config`: more
    `uvicorn.Config` options (TLS files, timeouts)."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False,
                                           lifespan=lifespan, timeout_graceful_shutdown=5, **config))
    thread = threading.Thread(target=server.run, name=name, daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"{name} did not start on port {port}")
        time.sleep(0.02)
    try:
        yield f"{'https' if config.get('ssl_certfile') else 'http'}://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(15)
