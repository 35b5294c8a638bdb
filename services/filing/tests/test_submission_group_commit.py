"""Concurrent single submissions share their round trips (the desk's group commit), each caller still getting its
own answer, on the real PostgreSQL, signed through identity's protocol (the stand-in on loopback). The desk runs one
group at a time here, and the stand-in's `before_signing` hook holds the first group at identity until the next
requests wait at the desk, so the grouping is deterministic. The API's clock is 15 April 2026."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine

from filing.main import create_app
from filing.settings import FilingSettings, IdentityClientSettings
from filing.submissions.desk import SubmissionDesk
from kit.auth import JWKSCache
from kit.clock import FixedClock
from kit.db import create_engine
from kit.signing import IdentityClient
from kit.testing.service import api_client, service_settings
from services.filing.tests.conftest import MAKER, TODAY
from services.filing.tests.identity_standin import StandIn
from services.filing.tests.test_submission_batch import Consultant, nil, problem, statuses

pytestmark = pytest.mark.asyncio(loop_scope="module")
PATH = "/v1/returns/spt-masa-ppn/2026-03/submission"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def served(infra: Any, identity: StandIn) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    settings = service_settings(infra, FilingSettings, "filing")
    settings = settings.model_copy(update={"identity": IdentityClientSettings(
        base_url=identity.url, client_id=identity.client_id, client_secret=SecretStr(identity.client_secret),
        attempts=2)})
    application = create_app(settings, jwks=JWKSCache(settings.auth, keys=MAKER.jwks()), clock=FixedClock(TODAY))
    async with api_client(application) as client:
        state = application.state.lontar  # one group in flight, so the test knows which group a request joins
        state.provide(SubmissionDesk(state.sessions, state.get(IdentityClient), settings.public_url, max_in_flight=1))
        yield application, client


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def engine(infra: Any) -> AsyncIterator[AsyncEngine]:
    e = create_engine(service_settings(infra, FilingSettings, "filing").database, application_name="test.desk",
                      pool_size=2)
    try:
        yield e
    finally:
        await e.dispose()


def hold_at_identity(application: FastAPI, identity: StandIn, waiting: int) -> threading.Event:
    """The next group to reach identity waits there until `waiting` requests wait at the desk; the event is set
    once it is held."""
    held = threading.Event()

    def hold() -> None:
        held.set()
        desk = application.state.lontar.get(SubmissionDesk)
        give_up = time.monotonic() + 30
        while desk.waiting < waiting and time.monotonic() < give_up:
            time.sleep(0.01)

    identity.before_signing = hold
    return held


async def test_concurrent_single_submissions_are_grouped_and_each_gets_its_own_answer(
        served: tuple[FastAPI, httpx.AsyncClient], engine: AsyncEngine, identity: StandIn) -> None:
    application, app = served
    first, s1, s2, s3, twice, wrong = [await nil(engine) for _ in range(6)]
    consultant = Consultant(identity, first, s1, s2, s3, twice, wrong)
    session = await consultant.open_session(identity, max_signatures=50)
    by_session = {"credential_id": consultant.credential.id, "signing_session": session}

    async def submit(npwp: str, body: dict[str, Any]) -> httpx.Response:
        return await app.post(PATH, params={"npwp": npwp}, json=body, headers=consultant.headers())

    # the first request's group is held at identity until the six others wait at the desk
    at_identity = hold_at_identity(application, identity, 6)
    calls, digests = identity.signing_calls, identity.digests_signed
    alone = asyncio.create_task(submit(first, by_session))
    assert await asyncio.to_thread(at_identity.wait, 30)
    desk = application.state.lontar.get(SubmissionDesk)
    groups = desk.groups
    wave = await asyncio.gather(
        submit(s1, by_session), submit(s2, by_session), submit(s3, by_session),
        submit(twice, {**by_session, "kind": "normal"}), submit(twice, {**by_session, "kind": "normal"}),
        submit(wrong, {"credential_id": consultant.credential.id, "passphrase": "salah"}))
    held = await alone

    # group 1: the first request; group 2: the wave, `twice` once, signed in two identity calls (the session's four
    # returns, and the wrong passphrase alone); group 3: the second `twice`, refused before identity
    assert (desk.groups - groups, identity.signing_calls - calls, identity.digests_signed - digests) == (2, 3, 5)
    assert held.status_code == 200 and held.json()["npwp"] == first
    for response, npwp in zip(wave[:3], (s1, s2, s3), strict=True):
        assert response.status_code == 200, response.text
        read = response.json()
        assert (read["npwp"], read["status"], read["outcome"]) == (npwp, "filed", "nihil")
        assert read["receipt"]["number"].startswith("BPE-20260415-")
    assert len({r.json()["receipt"]["number"] for r in [held, *wave[:3]]}) == 4
    assert sorted(r.status_code for r in wave[3:5]) == [200, 409]
    assert problem(next(r for r in wave[3:5] if r.status_code == 409)) == (409, "return.normal_exists")
    assert problem(wave[5]) == (422, "return.unsigned")
    assert (wave[5].json()["details"]["signer_code"], wave[5].json()["details"]["attempts_remaining"]) == (
        "credential.passphrase_wrong", 4)
    assert await statuses(engine, first, s1, s2, s3, twice, wrong) == {
        first: "filed", s1: "filed", s2: "filed", s3: "filed", twice: "filed"}  # `wrong`: nothing written


async def test_a_session_budget_short_of_a_group_signs_as_many_as_one_by_one(
        served: tuple[FastAPI, httpx.AsyncClient], engine: AsyncEngine, identity: StandIn) -> None:
    application, app = served
    npwps = [await nil(engine) for _ in range(4)]
    consultant = Consultant(identity, *npwps)
    body = {"credential_id": consultant.credential.id,
            "signing_session": await consultant.open_session(identity, max_signatures=2)}

    async def submit(npwp: str) -> httpx.Response:
        return await app.post(PATH, params={"npwp": npwp}, json=body, headers=consultant.headers())

    at_identity = hold_at_identity(application, identity, 3)
    alone = asyncio.create_task(submit(npwps[0]))
    assert await asyncio.to_thread(at_identity.wait, 30)
    wave = await asyncio.gather(*(submit(n) for n in npwps[1:]))  # one group of 3, one signature left for it
    responses = [await alone, *wave]
    assert [r.status_code for r in responses].count(200) == 2  # as one by one: the budget's two
    refused = [r for r in responses if r.status_code != 200]
    assert all(problem(r) == (422, "return.unsigned") and r.json()["details"]["signer_code"] ==
               "signing_session.exhausted" for r in refused) and len(refused) == 2
    filed = {r.json()["npwp"] for r in responses if r.status_code == 200}
    assert await statuses(engine, *npwps) == {n: "filed" for n in filed}
