"""The worker process of a service: the outbox relay and the event consumers, plus health and metrics over HTTP.

It is a small FastAPI app run by uvicorn, so SIGTERM/SIGINT handling and the health endpoints are the same as the
API's: the lifespan starts the relay and consumers and, on shutdown, stops them after their current run.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass

import uvicorn
from fastapi import FastAPI

from contracts.topics import dlq_topic
from kit.app import AppState, StartupStep, create_service_app
from kit.consumer import EventConsumer, Handlers
from kit.kafka import make_consumer, make_producer
from kit.relay import OutboxRelay
from kit.settings import BaseServiceSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConsumerSpec:
    """One consumer group of the service: `<service>.<purpose>` reading `topics` with `handlers`."""

    purpose: str
    topics: Sequence[str]
    handlers: Handlers


@dataclass(frozen=True)
class WorkerRuntime:
    """The relay and the consumers of a running worker (what tests and benchmarks watch)."""

    relay: OutboxRelay
    consumers: Sequence[EventConsumer]


def create_worker_app(settings: BaseServiceSettings, consumers: Sequence[ConsumerSpec] = (),
                      startup: Sequence[StartupStep] = ()) -> FastAPI:
    """The worker: its relay and `consumers` start first, then the service's own `startup` steps (a dispatcher, a
    job runner), which stop first on shutdown."""

    @asynccontextmanager
    async def run_relay_and_consumers(state: AppState) -> AsyncIterator[None]:
        service = settings.service_name
        stop = asyncio.Event()
        dlq = make_producer(settings.kafka, f"{service}.dlq")
        relay = OutboxRelay(settings)
        workers = [
            EventConsumer(
                group=f"{service}.{spec.purpose}",
                topics=spec.topics,
                handlers=spec.handlers,
                sessions=state.sessions,
                consumer_factory=lambda group: make_consumer(settings.kafka, group, group_id=group,
                                                             max_records=settings.consumer.max_batch),
                dlq_producer=dlq,
                dlq_topic=dlq_topic(service),
                settings=settings.consumer,
            )
            for spec in consumers
        ]
        state.provide(WorkerRuntime(relay, workers))
        tasks = [asyncio.create_task(relay.run(stop), name="relay")]
        if workers:
            tasks.append(asyncio.create_task(_start_then_consume(dlq, workers, stop), name="consumers"))
        try:
            yield
        finally:
            stop.set()
            await asyncio.wait(tasks, timeout=20)
            for task in tasks:
                task.cancel()
            await dlq.stop()

    return create_service_app(settings, process="worker", startup=[run_relay_and_consumers, *startup],
                              title=f"Lontar {settings.service_name} worker")


async def _start_then_consume(dlq, workers: list[EventConsumer], stop: asyncio.Event) -> None:  # type: ignore[no-untyped-def]
    """The dead-letter producer must be up before consumers run; wait for the broker if it is not there yet."""
    delay = 0.2
    while not stop.is_set():
        try:
            await dlq.start()
            break
        except Exception as exc:
            log.warning("broker not reachable yet", extra={"error": repr(exc)})
            try:
                await asyncio.wait_for(stop.wait(), delay)
            except TimeoutError:
                delay = min(delay * 2, 10)
    await asyncio.gather(*(w.run(stop) for w in workers))


def every(name: str, interval_s: float, work: Callable[[AppState], Awaitable[object]], *, first_delay_s: float = 0.0,
          drain_timeout_s: float = 20.0, before_start: bool = False) -> StartupStep:
    """A start-up step running `work` every `interval_s` (after `first_delay_s`) while the worker lives: expiries,
    schedules, webhook deliveries. A failed pass is logged and retried at the next interval; on shutdown the pass in
    progress gets `drain_timeout_s` to finish. Several worker replicas may run it: `work` claims what it does (SKIP
    LOCKED, advisory locks), so nothing is done twice. `before_start`: one pass before the process serves, whose
    failure stops the start (state the process cannot answer without, such as published reference data)."""

    @asynccontextmanager
    async def step(state: AppState) -> AsyncIterator[None]:
        if before_start:
            await work(state)
        stop = asyncio.Event()

        async def loop() -> None:
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), first_delay_s)
            while not stop.is_set():
                try:
                    await work(state)
                except Exception:
                    log.exception("%s failed; retrying at the next interval", name)
                with suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), interval_s)

        task = asyncio.create_task(loop(), name=name)
        try:
            yield
        finally:
            stop.set()
            await asyncio.wait([task], timeout=drain_timeout_s)
            task.cancel()

    return step


def serve(app: FastAPI, settings: BaseServiceSettings) -> None:
    uvicorn.run(app, host=settings.worker_host, port=settings.worker_port, log_config=None, access_log=False,
                timeout_graceful_shutdown=25)
