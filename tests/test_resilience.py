"""Faults across the whole stack: the broker goes away, a worker is killed. Writes are accepted, nothing is lost."""

from __future__ import annotations

import asyncio
import signal

import httpx
import pytest

from devstack.config import SERVICES
from devstack.stack import Stack
from devstack.testing.tokens import registry_headers
from kit.testing.events import random_npwp
from kit.testing.messaging import eventually

REPLICAS = [s for s in SERVICES if s != "identity"]


async def register(http: httpx.AsyncClient, stack: Stack, count: int) -> list[str]:
    npwps = [random_npwp() for _ in range(count)]
    for npwp in npwps:
        response = await http.post(f"{stack.config.api_url('identity')}/internal/v1/taxpayers",
                                    json={"npwp": npwp, "name": f"WP {npwp}"})
        assert response.status_code == 201, response.text
    return npwps


async def all_replicated(http: httpx.AsyncClient, stack: Stack, npwps: list[str],
                         services: list[str] = REPLICAS) -> bool:
    for service in services:
        for npwp in npwps:
            if (await http.get(f"{stack.config.api_url(service)}/internal/v1/taxpayers/{npwp}")).status_code != 200:
                return False
    return True


@pytest.mark.slow
async def test_writes_are_accepted_while_the_broker_is_down_and_flow_once_it_is_back(stack: Stack) -> None:
    assert stack.broker is not None
    async with httpx.AsyncClient(timeout=10, headers=registry_headers(stack)) as http:
        stack.broker.stop()
        try:
            async def broker_reported_down() -> bool:
                r = await http.get(f"{stack.config.api_url('invoice')}/readyz")
                return r.status_code == 503 and r.json()["checks"]["broker"]["status"] == "down"

            await eventually(broker_reported_down, 15, "readiness reports the broker down")
            database_only = await http.get(f"{stack.config.api_url('identity')}/readyz", params={"check": "database"})
            assert database_only.status_code == 200  # the write path itself is healthy

            npwps = await register(http, stack, 25)  # accepted while the broker is away
            assert not await all_replicated(http, stack, npwps[:1])
        finally:
            stack.restart_broker()  # on this thread: children die with the thread that started them

        await eventually(lambda: all_replicated(http, stack, npwps), 90, "every write delivered after recovery")
        for service in SERVICES:
            async def ready(service: str = service) -> bool:
                return (await http.get(f"{stack.config.api_url(service)}/readyz")).status_code == 200

            await eventually(ready, 30, f"{service} ready again")


@pytest.mark.slow
async def test_a_killed_worker_restarts_and_catches_up(stack: Stack) -> None:
    worker = next(c for c in stack.children if c.name == "payment-worker")
    async with httpx.AsyncClient(timeout=10, headers=registry_headers(stack)) as http:
        first = await register(http, stack, 20)
        assert worker.proc is not None
        worker.proc.send_signal(signal.SIGKILL)
        worker.proc.wait(10)
        during = await register(http, stack, 20)
        await asyncio.sleep(0.5)
        assert stack.supervise_once() == ["payment-worker"]
        await eventually(lambda: all_replicated(http, stack, first + during, ["payment"]), 90,
                         "payment caught up after the restart")
        await eventually(lambda: all_replicated(http, stack, first + during), 30, "others unaffected")
