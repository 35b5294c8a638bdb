"""A PJAP client's rate limit holds across API replicas (issue 15 item 6): two invoice API instances on one database,
as two replicas behind a load balancer are, share one client's budget (kit.ratelimit: a GCRA row per client in
PostgreSQL, one atomic upsert per request). Without the shared row each would allow the whole rate."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import httpx
import pytest

from devstack.testing.infra import Infra
from invoice.main import create_app
from invoice.settings import InvoiceSettings
from kit.auth import JWKSCache
from kit.testing.events import random_npwp
from kit.testing.service import api_client, service_settings
from kit.testing.tokens import TokenMaker

MAKER = TokenMaker()
RPM = 6


@pytest.fixture
async def replicas(infra: Infra) -> AsyncIterator[list[httpx.AsyncClient]]:
    settings = service_settings(infra, InvoiceSettings, "invoice")
    async with AsyncExitStack() as stack:
        yield [await stack.enter_async_context(api_client(create_app(
            settings, jwks=JWKSCache(settings.auth, keys=MAKER.jwks())))) for _ in range(2)]


def pjap_for(npwp: str, client_id: str, rpm: int = RPM) -> dict[str, str]:
    """A PJAP's token acting for a taxpayer that delegated to it, as identity issues it."""
    token = MAKER.make(subject=npwp, scopes=["invoice:read"], taxpayer_ids=[npwp], client_kind="pjap",
                       client_id=client_id, rpm=rpm, act={"sub": client_id, "client_kind": "pjap"})
    return {"authorization": f"Bearer {token}"}


async def test_two_replicas_share_one_clients_limit(replicas: list[httpx.AsyncClient]) -> None:
    client_id = f"pjap-{uuid.uuid4().hex[:12]}"
    headers = pjap_for(random_npwp(), client_id)
    answers = [await replicas[i % 2].get("/v1/invoices", headers=headers) for i in range(RPM + 2)]
    assert [a.status_code for a in answers] == [200] * RPM + [429, 429], [a.text for a in answers]
    refused = answers[-1]
    assert refused.json()["code"] == "rate_limited"
    assert 1 <= int(refused.headers["retry-after"]) <= 60 // RPM  # one interval until the next request fits

    # another client, and a person, are not held to this client's budget
    assert (await replicas[0].get("/v1/invoices", headers=pjap_for(random_npwp(), f"pjap-{uuid.uuid4().hex[:12]}"))
            ).status_code == 200
    npwp = random_npwp()
    person = {"authorization": f"Bearer {MAKER.make(subject=npwp, scopes=['invoice:read'], taxpayer_ids=[npwp])}"}
    assert all(r.status_code == 200 for r in [await replicas[1].get("/v1/invoices", headers=person)
                                              for _ in range(RPM + 2)])


async def test_concurrent_requests_on_both_replicas_take_exactly_the_budget(replicas: list[httpx.AsyncClient]) -> None:
    headers = pjap_for(random_npwp(), f"pjap-{uuid.uuid4().hex[:12]}", rpm=10)
    answers = await asyncio.gather(*(replicas[i % 2].get("/v1/invoices", headers=headers) for i in range(24)))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] * 10 + [429] * 14, statuses
