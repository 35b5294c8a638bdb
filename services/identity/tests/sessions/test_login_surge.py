"""Login under a surge (issue 15 item 7): past the configured queue depth a login is refused at once with 503
`login.overloaded` and Retry-After instead of queueing; the logins admitted succeed, and a refused login costs the
account nothing (no failed attempt counted). identity over real HTTP, Argon2id with the production parameters so
the hashing is what queues."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from sqlalchemy import text

from identity.settings import LoginSettings
from services.identity.tests.factories import make_account, make_person
from services.identity.tests.served import module_settings, served

PASSWORD = "Rahasia#2026x"
BURST = 24
PRODUCTION = LoginSettings()


@pytest.fixture(scope="module")
def base(infra: Any) -> Iterator[str]:
    # one hashing thread and two logins queued behind it: the fourth login in flight is refused
    settings = module_settings(infra, argon2_memory_kib=PRODUCTION.argon2_memory_kib,
                               argon2_time_cost=PRODUCTION.argon2_time_cost, hash_workers=1, max_queued=2)
    with served(settings) as url:
        yield url


async def test_a_burst_past_the_queue_depth_is_shed_at_once_with_retry_after(base, sessions) -> None:
    hasher = PasswordHasher(time_cost=PRODUCTION.argon2_time_cost, memory_cost=PRODUCTION.argon2_memory_kib)
    async with sessions() as s, s.begin():
        person = await make_person(s)
        await make_account(s, person, password_hash=hasher.hash(PASSWORD))
    login = {"grant_type": "password", "username": person.identity_number, "password": PASSWORD}

    limits = httpx.Limits(max_connections=BURST)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as http:
        await http.get("/healthz")
        answers = await asyncio.gather(*(http.post("/v1/oauth/token", data=login) for _ in range(BURST)))
        statuses = Counter(a.status_code for a in answers)
        assert set(statuses) == {200, 503} and statuses[200] >= 1, statuses
        for shed in (a for a in answers if a.status_code == 503):
            body = shed.json()
            assert (body["code"], body["error"], body["status"]) == ("login.overloaded", "temporarily_unavailable",
                                                                     503)
            assert int(shed.headers["retry-after"]) >= 1 and shed.headers["cache-control"] == "no-store"

        # the slots came back: one login at a time is never refused
        after = [await http.post("/v1/oauth/token", data=login) for _ in range(3)]
        assert [a.status_code for a in after] == [200, 200, 200]
    async with sessions() as s:
        failures = (await s.execute(text("SELECT count(*) FROM login_throttle WHERE login = :l"),
                                    {"l": person.identity_number})).scalar_one()
    assert failures == 0  # being turned away is not a failed attempt
