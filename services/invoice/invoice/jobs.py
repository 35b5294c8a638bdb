"""Background work of an invoice process: uploads (claimed from the database, so any process can take them over)
and the signing jobs this process accepted (their passphrases exist only here)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

import httpx

from invoice.settings import InvoiceSettings
from invoice.signing import service as signing
from invoice.uploads import service as uploads
from kit import webhooks
from kit.app import AppState, StartupStep
from kit.signing import IdentityClient

log = logging.getLogger(__name__)


class JobRunner:
    def __init__(self, state: AppState, settings: InvoiceSettings, identity: IdentityClient | None) -> None:
        self.state, self.settings, self.identity = state, settings, identity
        self.tasks: set[asyncio.Task[None]] = set()
        self.signing_jobs: set[uuid.UUID] = set()
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()
        self.webhook_http = webhooks.http_client(settings.webhooks)

    def kick(self) -> None:
        self._wake.set()

    def start_signing(self, job_id: uuid.UUID, passphrase: str) -> None:
        assert self.identity is not None
        self.signing_jobs.add(job_id)

        async def run() -> None:
            # beat for this job whether or not this process runs the job loop (`run_jobs`): otherwise another
            # process would take a job that is alive here for a dead one and fail its items
            beat = asyncio.create_task(self._beat(job_id))
            try:
                await signing.run_job(self.state.sessions, self.identity, self.settings, job_id,  # type: ignore[arg-type]
                                      passphrase)
            finally:
                beat.cancel()
                self.signing_jobs.discard(job_id)

        self._spawn(run())

    async def _beat(self, job_id: uuid.UUID) -> None:
        interval = max(self.settings.signing.stale_after_s / 4, 0.5)
        while True:
            await asyncio.sleep(interval)
            try:
                await signing.heartbeat(self.state.sessions, {job_id})
            except Exception as exc:
                log.warning("signing heartbeat failed", extra={"job_id": str(job_id), "error": repr(exc)})

    def _spawn(self, coro) -> None:  # type: ignore[no-untyped-def]
        task = asyncio.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def drain_uploads(self) -> None:
        while (upload_id := await uploads.claim(self.state.sessions, self.settings.uploads.lease_s)) is not None:
            try:
                await uploads.process(self.state.sessions, self.settings, upload_id)
            except Exception:
                log.exception("upload processing failed; retried when its lease expires",
                              extra={"upload_id": str(upload_id)})

    async def loop(self) -> None:
        while not self._stop.is_set():
            try:
                await self.drain_uploads()
                while await webhooks.deliver_due(self.state.sessions, self.settings.webhooks, self.webhook_http) \
                        >= self.settings.webhooks.batch:
                    pass
                await signing.heartbeat(self.state.sessions, set(self.signing_jobs))
                await signing.recover_stale(self.state.sessions, self.settings.signing.stale_after_s,
                                            self.signing_jobs)
            except Exception as exc:
                log.warning("job loop error", extra={"error": repr(exc)})
            with suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.settings.uploads.poll_interval_s)
            self._wake.clear()

    async def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.webhook_http.aclose()


def run_jobs(settings: InvoiceSettings, identity_http: httpx.AsyncClient | None = None) -> StartupStep:
    """A start-up step: provides the `JobRunner` (and runs its loop when `settings.run_jobs`)."""

    @asynccontextmanager
    async def step(state: AppState) -> AsyncIterator[None]:
        identity = IdentityClient(settings.identity, identity_http)
        runner = state.provide(JobRunner(state, settings, identity))
        loop_task = asyncio.create_task(runner.loop()) if settings.run_jobs else None
        try:
            yield
        finally:
            await runner.stop()
            if loop_task is not None:
                loop_task.cancel()
                await asyncio.gather(loop_task, return_exceptions=True)
            await identity.aclose()

    return step
