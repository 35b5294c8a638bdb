"""Submission with a signing session, and batch submission (a PJAP or consultant filing for many clients), on the
real PostgreSQL, signed through identity's protocol (the stand-in on loopback, `identity_standin`). Taxpayers and
their prefill rows are written straight into filing's tables (`seed`): the consumers that build them have tests of
their own. One app and one engine for the module. The API's clock is 15 April 2026."""

from __future__ import annotations

import asyncio
import base64
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import httpx
import pytest
import pytest_asyncio
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from pydantic import SecretStr
from sqlalchemy import event, insert, text
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from filing.main import create_app
from filing.returns.models import ppn_output, spt
from filing.settings import FilingSettings, IdentityClientSettings
from kit.auth import JWKSCache
from kit.clock import FixedClock
from kit.db import create_engine, create_sessionmaker
from kit.testing.events import outbox_envelopes, random_npwp
from kit.testing.service import api_client, service_settings
from services.filing.tests.conftest import MAKER, TODAY
from services.filing.tests.identity_standin import Credential, StandIn
from services.filing.tests.seed import add_taxpayer

pytestmark = pytest.mark.asyncio(loop_scope="module")
BATCH = "/v1/returns/submissions"
PKP_2025 = ((True, date(2025, 1, 1)),)
SCOPES = ("filing:read", "filing:draft", "filing:submit")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def app(infra: Any, identity: StandIn) -> AsyncIterator[httpx.AsyncClient]:
    settings = service_settings(infra, FilingSettings, "filing")
    settings = settings.model_copy(update={"identity": IdentityClientSettings(
        base_url=identity.url, client_id=identity.client_id, client_secret=SecretStr(identity.client_secret),
        attempts=2)})
    application = create_app(settings, jwks=JWKSCache(settings.auth, keys=MAKER.jwks()), clock=FixedClock(TODAY))
    async with api_client(application) as client:
        yield client


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def engine(infra: Any) -> AsyncIterator[AsyncEngine]:
    e = create_engine(service_settings(infra, FilingSettings, "filing").database, application_name="test.batch",
                      pool_size=2)
    try:
        yield e
    finally:
        await e.dispose()


class Consultant:
    """A person acting for many clients in one login session (`sid`), with one credential at identity."""

    def __init__(self, identity: StandIn, *npwps: str, sid: str | None = None) -> None:
        self.account = str(uuid.uuid4())
        self.sid = sid or uuid.uuid4().hex
        self.npwps = list(npwps)
        self.credential: Credential = identity.credential(self.account, name="Konsultan Pajak")

    def headers(self, *npwps: str, sid: str | None = None, **extra: str) -> dict[str, str]:
        token = MAKER.make(subject=self.account, scopes=SCOPES, taxpayer_ids=npwps or self.npwps,
                           act={"sub": self.account, "name": "Konsultan"}, sid=sid or self.sid)
        return {"authorization": f"Bearer {token}", **extra}

    async def open_session(self, identity: StandIn, **terms: Any) -> dict[str, Any]:
        """Over HTTP, as the holder does at identity (one passphrase check)."""
        async with httpx.AsyncClient(base_url=identity.url) as http:
            r = await http.post(f"/v1/signing-credentials/{self.credential.id}/sessions",
                                json={"passphrase": self.credential.passphrase, **terms},
                                headers=self.headers())
        assert r.status_code == 201, r.text
        opened = r.json()
        return {"id": opened["session_id"], "secret": opened["session_secret"]}


async def nil(engine: AsyncEngine) -> str:
    return await add_taxpayer(engine, pkp=PKP_2025)


async def kurang_bayar(engine: AsyncEngine, ppn: int = 11_000_000) -> str:
    npwp = await add_taxpayer(engine, pkp=PKP_2025)
    async with engine.begin() as conn:
        await conn.execute(insert(ppn_output).values(npwp=npwp, period="2026-03", transaction_code="01", invoices=1,
                                                     dpp=ppn * 10, ppn=ppn))
    return npwp


async def lebih_bayar(engine: AsyncEngine) -> str:
    """1,100,000 output, 1,500,000 compensation carried in: a draft at revision 1."""
    npwp = await kurang_bayar(engine, 1_100_000)
    async with engine.begin() as conn:
        await conn.execute(insert(spt).values(id=uuid.uuid4(), npwp=npwp, form="spt_masa_ppn", period="2026-03",
                                              version=0, status="draft", compensation=1_500_000, revision=1))
    return npwp


def item(npwp: str, **extra: Any) -> dict[str, Any]:
    return {"npwp": npwp, "form": "spt_masa_ppn", "period": "2026-03", **extra}


def problem(response: httpx.Response) -> tuple[int, str]:
    assert response.headers["content-type"] == "application/problem+json", response.text
    return response.status_code, response.json()["code"]


async def statuses(engine: AsyncEngine, *npwps: str) -> dict[str, str]:
    async with engine.connect() as conn:
        rows = await conn.execute(text("SELECT npwp, status FROM spt WHERE npwp = ANY(:n) AND period = '2026-03'"),
                                  {"n": list(npwps)})
        return {r.npwp: r.status for r in rows}


async def test_a_batch_is_checked_return_by_return_and_signed_in_one_identity_call(
        app: httpx.AsyncClient, engine: AsyncEngine, identity: StandIn) -> None:
    a, b, c, not_pkp, stale = await nil(engine), await lebih_bayar(engine), await kurang_bayar(engine), \
        await add_taxpayer(engine), await lebih_bayar(engine)
    consultant = Consultant(identity, a, b, c, not_pkp, stale)
    session = await consultant.open_session(identity, max_signatures=50)
    calls, digests = identity.signing_calls, identity.digests_signed
    body = {"credential_id": consultant.credential.id, "signing_session": session,
            "returns": [item(a), item(b, revision=1), item(c, form="spt-masa-ppn"), item(not_pkp),
                        item(stale, revision=0)]}
    response = await app.post(BATCH, json=body, headers=consultant.headers(**{"Idempotency-Key": "batch-1"}))
    assert response.status_code == 200, response.text
    result = response.json()
    assert (identity.signing_calls - calls, identity.digests_signed - digests) == (1, 3)  # ONE call, 3 digests
    assert (result["filed"], result["awaiting_payment"], result["refused"]) == (2, 1, 2)
    items = result["items"]
    assert [(x["index"], x["npwp"], x["status"]) for x in items] == [
        (0, a, "filed"), (1, b, "filed"), (2, c, "awaiting_payment"), (3, not_pkp, "refused"), (4, stale, "refused")]
    assert (items[0]["submission"]["outcome"], items[1]["submission"]["outcome"]) == ("nihil", "lebih_bayar")
    assert items[0]["submission"]["receipt"]["number"].startswith("BPE-20260415-")
    assert [(p["kap_kjs"], p["amount"]) for p in items[2]["submission"]["payments"]] == [("411211-100", "11000000")]
    assert (items[3]["error"]["code"], items[3]["error"]["details"]["path"]) == ("return.not_owed", "/returns/3")
    assert (items[4]["error"]["code"], items[4]["error"]["details"]["path"]) == ("return.changed",
                                                                                  "/returns/4/revision")
    assert await statuses(engine, a, b, c, not_pkp, stale) == {a: "filed", b: "filed", c: "awaiting_payment",
                                                              stale: "draft"}

    # each return is signed on its own digest, by the consultant's certificate; its events as one by one
    key = x509.load_pem_x509_certificate(consultant.credential.certificate_pem.encode()).public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey)
    async with engine.connect() as conn:
        stored = (await conn.execute(text(
            "SELECT s.content_digest, s.signature, s.certificate_serial FROM spt_submission s JOIN spt ON "
            "spt.id = s.spt_id WHERE spt.npwp = ANY(:n)"), {"n": [a, b, c]})).all()
    assert len({r.content_digest for r in stored}) == 3 and {r.certificate_serial for r in stored} == {
        result["certificate_serial"]}
    for r in stored:
        key.verify(base64.b64decode(r.signature), bytes.fromhex(r.content_digest), ec.ECDSA(Prehashed(hashes.SHA256())))
    async with create_sessionmaker(engine)() as s:
        submitted = {k for k, _, _ in await outbox_envelopes(s, event_type="SPTSubmitted")}
        requested = {k for k, _, _ in await outbox_envelopes(s, event_type="SPTPaymentRequested")}
    assert {a, b} <= submitted and c not in submitted and c in requested

    # the same request again is the stored answer, without signing again
    again = await app.post(BATCH, json=body, headers=consultant.headers(**{"Idempotency-Key": "batch-1"}))
    assert again.headers.get("idempotent-replayed") == "true" and again.json() == result
    assert identity.signing_calls - calls == 1

    # nothing left to sign: every item refused, identity not called
    nothing = await app.post(BATCH, json={**body, "returns": [item(not_pkp)]}, headers=consultant.headers())
    assert nothing.status_code == 200 and nothing.json()["refused"] == 1 and identity.signing_calls - calls == 1


async def test_a_batch_refused_as_a_whole_signs_and_writes_nothing(
        app: httpx.AsyncClient, engine: AsyncEngine, identity: StandIn) -> None:
    a, b = await nil(engine), await nil(engine)
    consultant = Consultant(identity, a, b)
    session = await consultant.open_session(identity, max_signatures=1)
    base = {"credential_id": consultant.credential.id, "returns": [item(a), item(b)]}
    calls = identity.signing_calls

    # a return of a taxpayer the token does not act for; both or neither key; a return twice; too many
    outsider = random_npwp()
    r = await app.post(BATCH, json={**base, "passphrase": consultant.credential.passphrase,
                                    "returns": [item(a), item(outsider)]}, headers=consultant.headers())
    assert problem(r) == (403, "auth.taxpayer_forbidden") and r.json()["details"]["path"] == "/returns/1/npwp"
    both = {**base, "passphrase": consultant.credential.passphrase, "signing_session": session}
    assert problem(await app.post(BATCH, json=both, headers=consultant.headers())) == (
        422, "submission.passphrase_or_session")
    assert problem(await app.post(BATCH, json=base, headers=consultant.headers())) == (422, "request.invalid")
    twice = {**base, "signing_session": session, "returns": [item(a), item(b), item(a)]}
    r = await app.post(BATCH, json=twice, headers=consultant.headers())
    assert problem(r) == (422, "submission.batch_duplicate") and r.json()["details"]["path"] == "/returns/2"
    many = {**base, "signing_session": session, "returns": [item(a, period=f"{2020 + i // 12}-{i % 12 + 1:02d}")
                                                             for i in range(501)]}
    assert problem(await app.post(BATCH, json=many, headers=consultant.headers())) == (422, "request.invalid")
    reader = MAKER.make(subject=consultant.account, scopes=("filing:read",), taxpayer_ids=[a, b])
    assert problem(await app.post(BATCH, json={**base, "signing_session": session},
                                  headers={"authorization": f"Bearer {reader}"})) == (403, "auth.missing_scope")
    assert identity.signing_calls == calls  # all refused before identity

    # identity refuses: the session used from another login session, its budget too small, a wrong passphrase
    for body, headers, signer_code, path in [
            ({**base, "signing_session": session}, consultant.headers(sid="another-device"),
             "signing_session.device_mismatch", "/signing_session"),
            ({**base, "signing_session": session}, consultant.headers(), "signing_session.exhausted",
             "/signing_session"),
            ({**base, "passphrase": "salah"}, consultant.headers(), "credential.passphrase_wrong", "/passphrase")]:
        r = await app.post(BATCH, json=body, headers=headers)
        assert problem(r) == (422, "return.unsigned"), r.text
        assert (r.json()["details"]["signer_code"], r.json()["details"]["path"]) == (signer_code, path)
    assert identity.signing_calls == calls + 3
    assert await statuses(engine, a, b) == {}  # nothing written, not even a draft


async def test_one_return_submitted_with_a_signing_session(
        app: httpx.AsyncClient, engine: AsyncEngine, identity: StandIn) -> None:
    a, b = await nil(engine), await nil(engine)
    consultant = Consultant(identity, a, b)
    session = await consultant.open_session(identity, max_signatures=1)
    path = "/v1/returns/spt-masa-ppn/2026-03/submission"
    body = {"credential_id": consultant.credential.id, "signing_session": session}
    r = await app.post(path, params={"npwp": a}, json=body, headers=consultant.headers())
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["receipt"]["late"]) == ("filed", False)
    # its budget is spent: the next return is unsigned, nothing written
    r = await app.post(path, params={"npwp": b}, json=body, headers=consultant.headers())
    assert problem(r) == (422, "return.unsigned") and r.json()["details"]["signer_code"] == "signing_session.exhausted"
    assert await statuses(engine, a, b) == {a: "filed"}
    # a token naming no login session cannot use one
    bare = MAKER.make(subject=consultant.account, scopes=SCOPES, taxpayer_ids=[b], jti="")
    r = await app.post(path, json=body, headers={"authorization": f"Bearer {bare}"})
    assert problem(r) == (422, "submission.no_login_session")


async def test_a_return_that_moves_while_the_batch_is_signed_is_refused_alone(
        app: httpx.AsyncClient, engine: AsyncEngine, identity: StandIn, infra: Any) -> None:
    a, b = await nil(engine), await nil(engine)
    consultant = Consultant(identity, a, b)
    dsn = service_settings(infra, FilingSettings, "filing").database

    async def invoice_arrives() -> None:  # an invoice of b's March is consumed while identity signs
        other = create_engine(dsn, application_name="test.batch.hook", pool_size=1)
        try:
            async with other.begin() as conn:
                await conn.execute(insert(ppn_output).values(npwp=b, period="2026-03", transaction_code="01",
                                                             invoices=1, dpp=1_000_000, ppn=110_000))
        finally:
            await other.dispose()

    identity.before_signing = lambda: _in_thread(invoice_arrives)
    r = await app.post(BATCH, json={"credential_id": consultant.credential.id,
                                    "passphrase": consultant.credential.passphrase,
                                    "returns": [item(a), item(b)]}, headers=consultant.headers())
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [(x["status"], (x["error"] or {}).get("code")) for x in items] == [
        ("filed", None), ("refused", "return.changed")]
    assert items[1]["error"]["details"]["path"] == "/returns/1"
    assert await statuses(engine, a, b) == {a: "filed"}  # b: not even the draft its submission started


def _in_thread(work: Any) -> None:
    """Run a coroutine function to completion on a loop of its own (the stand-in's thread already runs one)."""
    failure: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(work())
        except BaseException as exc:  # noqa: BLE001 (re-raised below, in the caller's thread)
            failure.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(30)
    if failure:
        raise failure[0]


@contextmanager
def counted() -> Iterator[list[str]]:
    """The SQL statements every engine of this process sends meanwhile."""
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(Engine, "before_cursor_execute", count)


async def _batch_statements(app: httpx.AsyncClient, engine: AsyncEngine, identity: StandIn, per_kind: int
                            ) -> tuple[int, dict[str, Any]]:
    npwps = [await make(engine) for _ in range(per_kind) for make in (nil, lebih_bayar, kurang_bayar)]
    consultant = Consultant(identity, *npwps)
    body = {"credential_id": consultant.credential.id, "passphrase": consultant.credential.passphrase,
            "returns": [item(n) for n in npwps]}
    with counted() as statements:
        r = await app.post(BATCH, json=body, headers=consultant.headers())
    assert r.status_code == 200, r.text
    result = r.json()
    assert (result["filed"], result["awaiting_payment"], result["refused"]) == (2 * per_kind, per_kind, 0)
    assert sorted((await statuses(engine, *npwps)).values()) == sorted(x["status"] for x in result["items"])
    return len(statements), result


async def test_a_batch_is_set_based_the_same_statements_for_3_returns_as_for_30(
        app: httpx.AsyncClient, engine: AsyncEngine, identity: StandIn) -> None:
    small, _ = await _batch_statements(app, engine, identity, 1)
    large, result = await _batch_statements(app, engine, identity, 10)
    assert small == large, (small, large)
    assert len({x["submission"]["receipt"]["number"] for x in result["items"] if x["status"] == "filed"}) == 20
    async with create_sessionmaker(engine)() as s:
        submitted = {k for k, _, _ in await outbox_envelopes(s, event_type="SPTSubmitted")}
        requested = {k for k, _, _ in await outbox_envelopes(s, event_type="SPTPaymentRequested")}
    assert {x["npwp"] for x in result["items"] if x["status"] == "filed"} <= submitted
    assert {x["npwp"] for x in result["items"] if x["status"] == "awaiting_payment"} <= requested
