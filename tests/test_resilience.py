"""Faults across the whole stack: the broker goes away, a worker is killed. Writes are accepted, nothing is lost,
nothing happens twice: payments confirmed while the broker is away are posted once in the ledger, and their
`PaymentConfirmed` reaches notification once the broker is back (one notice each)."""

from __future__ import annotations

import asyncio
import signal

import httpx
import pytest
from sqlalchemy import text

from devstack.config import SERVICES
from devstack.stack import Stack
from devstack.testing.tokens import registry_headers, stack_tokens
from kit.db import UnitOfWork, create_engine, create_sessionmaker
from kit.settings import DatabaseSettings
from kit.testing.events import random_npwp
from kit.testing.messaging import eventually
from payment.ledger.service import audit_ledger

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


async def pay(http: httpx.AsyncClient, stack: Stack, npwp: str) -> str:
    """A mandiri code of `npwp`, paid at the bank sandbox (inquiry and confirmation as a bank does); its NTPN."""
    me = {"authorization": "Bearer " + stack_tokens(stack.config.data_dir).make(
        subject=f"person-{npwp}", scopes=["payment:read", "payment:write"], taxpayer_ids=[npwp])}
    created = await http.post(f"{stack.config.api_url('payment')}/v1/billing-codes", headers=me, json={
        "kap_kjs": "411125-100", "period": "2026-11", "amount": "125000"})
    assert created.status_code == 201, created.text
    paid = await http.post(f"{stack.config.sandbox_url}/bank/pay", json={"billing_code": created.json()["code"]})
    assert paid.status_code == 201, paid.text
    return str(paid.json()["ntpn"])


async def scalar(stack: Stack, service: str, sql: str, **params: object) -> int:
    engine = create_engine(DatabaseSettings(dsn=stack.database_url(service)), application_name="test.check")
    try:
        async with engine.connect() as conn:
            return int((await conn.execute(text(sql), params)).scalar_one())
    finally:
        await engine.dispose()


async def payment_notices(stack: Stack, npwps: list[str], *, exactly: int) -> bool:
    counts = await scalar(stack, "notification", "SELECT count(*) FROM inbox_item WHERE notice = 'payment.confirmed' "
                                                  "AND taxpayer = ANY(:t)", t=npwps)
    assert counts <= exactly * len(npwps), f"{counts} payment notices for {len(npwps)} payments"
    return counts == exactly * len(npwps)


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
            payers = npwps[:5]
            ntpns = [await pay(http, stack, npwp) for npwp in payers]  # confirmed by the bank sandbox meanwhile
        finally:
            stack.restart_broker()  # on this thread: children die with the thread that started them

        await eventually(lambda: all_replicated(http, stack, npwps), 90, "every write delivered after recovery")
        await eventually(lambda: payment_notices(stack, payers, exactly=1), 60, "one payment notice per payment")
        assert await scalar(stack, "payment", "SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0
        assert await scalar(stack, "payment", "SELECT count(*) FROM payment WHERE ntpn = ANY(:n)", n=ntpns) == 5
        engine = create_engine(DatabaseSettings(dsn=stack.database_url("payment")), application_name="test.audit")
        try:  # each payment settled by exactly one transfer, debits = credits
            assert (await audit_ledger(UnitOfWork(create_sessionmaker(engine)))).problems == []
        finally:
            await engine.dispose()
        for service in SERVICES:
            async def ready(service: str = service) -> bool:
                return (await http.get(f"{stack.config.api_url(service)}/readyz")).status_code == 200

            await eventually(ready, 30, f"{service} ready again")


@pytest.mark.slow
async def test_a_killed_worker_restarts_and_catches_up(stack: Stack) -> None:
    worker = next(c for c in stack.children if c.name == "payment-worker")
    async with httpx.AsyncClient(timeout=10, headers=registry_headers(stack)) as http:
        first = await register(http, stack, 20)
        payers = first[:5]
        for npwp in payers:  # PaymentConfirmed in payment's outbox: the killed worker's relay may be mid-publish
            await pay(http, stack, npwp)
        assert worker.proc is not None
        worker.proc.send_signal(signal.SIGKILL)
        worker.proc.wait(10)
        during = await register(http, stack, 20)
        await asyncio.sleep(0.5)
        assert stack.supervise_once() == ["payment-worker"]
        await eventually(lambda: all_replicated(http, stack, first + during, ["payment"]), 90,
                         "payment caught up after the restart")
        await eventually(lambda: all_replicated(http, stack, first + during), 30, "others unaffected")
        await eventually(lambda: payment_notices(stack, payers, exactly=1), 60, "one payment notice per payment")
        assert await scalar(stack, "payment", "SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0
