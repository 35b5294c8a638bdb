"""One process serving every sandbox: the SMTP server and the HTTP API (message list, controls, SMS providers)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import uvicorn
import uvloop

from sandbox.http import create_app
from sandbox.settings import SandboxSettings
from sandbox.smtp import start_smtp
from sandbox.store import Store

log = logging.getLogger("sandbox")


async def serve(settings: SandboxSettings, stop: asyncio.Event | None = None) -> None:
    store = Store(settings.keep)
    smtp = await start_smtp(store, settings.host, settings.smtp_port, settings.tls_dir)
    config = uvicorn.Config(create_app(settings, store), host=settings.host, port=settings.http_port,
                            log_config=None, access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    if stop is not None:
        async def _watch() -> None:
            await stop.wait()
            server.should_exit = True
        watcher = asyncio.create_task(_watch())
    log.info("sandbox listening: SMTP %s:%s%s, HTTP %s", settings.host, settings.smtp_port,
             " (STARTTLS)" if settings.tls_dir else "", settings.url)
    try:
        await server.serve()
    finally:
        if stop is not None:
            watcher.cancel()
        smtp.close()
        await smtp.wait_closed()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s sandbox %(levelname)s %(message)s")
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command at INFO
    # uvicorn handles SIGTERM and SIGINT: both stop the HTTP server, then SMTP closes
    with contextlib.suppress(KeyboardInterrupt):
        uvloop.run(serve(SandboxSettings.from_env()))
