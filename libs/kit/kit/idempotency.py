"""`Idempotency-Key` on POST endpoints: a retried request gets the first one's response instead of running again.

The key is claimed BEFORE the work, in its own committed row (`INSERT … ON CONFLICT DO NOTHING`, state `pending`),
so a concurrent second request with the key gets 409 `idempotency.in_progress` instead of running too. The result is
stored on the claim (`done`) and replayed (`idempotent-replayed: true`) to later requests with the same fingerprint;
another request with the key is 422 `idempotency.key_reused`. A request that fails releases its claim (the client may
retry with the key); a claim left `pending` by a crashed process is taken over after `CLAIM_STALE_S`.

`run_in` does the same inside the use case's own transaction (claim, work and stored answer commit together).

In an endpoint (one dependency, one call):

    Idempotent = Annotated[Idempotency, idempotent(exclude=("passphrase",))]

    @router.post("/v1/things", status_code=201)
    async def create_thing(body: ThingCreate, principal: CurrentPrincipal, uow: Uow, idem: Idempotent):
        return await idem.run(201, lambda: service.create_thing(uow, principal, body))

The owner of a key is the token's subject (and the person acting for it); the fingerprint is the method, the path
and the body (or what `body=` names, e.g. an uploaded file's content). A service adds the table with
`idempotency_table(metadata)` in its models and `create_idempotency_table()` in a migration.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

from alembic import op
from fastapi import Depends, Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    bindparam,
    delete,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kit import text as api_text
from kit.app import state_of
from kit.auth import CurrentPrincipal, Principal
from kit.db import UnitOfWork
from kit.errors import AppError, Conflict

HEADER = "Idempotency-Key"
CLAIM_STALE_S = 300  # a claim still `pending` after this is taken to be a crashed process's, and taken over


class IdempotencyKeyReused(AppError):
    code, status, title = "idempotency.key_reused", 422, "Idempotency-Key reused with a different request"


class IdempotencyInProgress(Conflict):
    code, title = "idempotency.in_progress", "A request with this Idempotency-Key is still being processed"


# -- the table ------------------------------------------------------------------------------------------------------
def _schema() -> list[Any]:
    return [
        Column("owner", Text, nullable=False),  # who sent it: token subject (+ actor)
        Column("key", Text, nullable=False),
        Column("request_hash", Text, nullable=False),
        Column("state", Text, nullable=False, server_default=text("'done'")),  # pending (claimed, running) | done
        Column("status_code", Integer),  # null while pending
        Column("response", JSONB),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
        PrimaryKeyConstraint("owner", "key", name="idempotency_key_pkey"),
    ]


def idempotency_table(metadata: MetaData) -> Table:
    """The `idempotency_key` table in a service's metadata."""
    return Table("idempotency_key", metadata, *_schema())


def create_idempotency_table() -> None:
    """In a service's Alembic migration (`upgrade()`): the table as `idempotency_table` has it."""
    op.create_table("idempotency_key", *_schema())


def drop_idempotency_table() -> None:
    op.drop_table("idempotency_key")


_KEYS = idempotency_table(MetaData())  # for the statements below; each service has its own copy
_THIS = (_KEYS.c.owner == bindparam("this_owner")) & (_KEYS.c.key == bindparam("this_key"))
# executed with {owner, key, request_hash, state: "pending"}
_CLAIM = insert(_KEYS).on_conflict_do_nothing().returning(_KEYS.c.key)
_STORED = select(_KEYS.c.request_hash, _KEYS.c.state, _KEYS.c.status_code, _KEYS.c.response).where(_THIS)
# pending: running elsewhere, unless abandoned (or released just now: then the insert happens) → take it over
_TAKE_OVER = (insert(_KEYS)
              .on_conflict_do_update(index_elements=["owner", "key"], set_={"created_at": func.now()},
                                     where=(_KEYS.c.state == "pending")
                                     & (_KEYS.c.created_at < func.now() - timedelta(seconds=CLAIM_STALE_S)))
              .returning(_KEYS.c.key))
_RELEASE = delete(_KEYS).where(_THIS, _KEYS.c.state == "pending")
_DONE = update(_KEYS).where(_THIS).values(state="done", status_code=bindparam("status"),
                                          response=bindparam("content", type_=JSONB))


# -- the claim ------------------------------------------------------------------------------------------------------
Content = bytes | Sequence[bytes]  # what identifies a request (parts hashed in order: no copy of a large body)


@dataclass
class Idempotency:
    """One request's key (None: the client sent none) and how to fingerprint the request."""

    sessions: async_sessionmaker[AsyncSession]
    owner: str
    key: str | None
    prefix: bytes  # method and path
    content: Content
    exclude: frozenset[str] = frozenset()

    def fingerprint(self) -> str:
        digest = hashlib.sha256(self.prefix)
        content = self.content
        if self.exclude:  # named JSON fields left out (a passphrase is never stored, not even hashed)
            raw = content if isinstance(content, bytes) else b"".join(content)
            kept = {k: v for k, v in json.loads(raw or b"{}").items() if k not in self.exclude}
            content = json.dumps(kept, sort_keys=True).encode()
        for part in [content] if isinstance(content, bytes) else content:
            digest.update(part)
        return digest.hexdigest()

    async def run(self, status_code: int, work: Callable[[], Awaitable[Any]]) -> JSONResponse:
        """`work()` once per key: its result (a pydantic model or JSON data) as the response, stored for replays."""
        if not self.key:
            return JSONResponse(_json(await work()), status_code=status_code)
        this = {"this_owner": self.owner, "this_key": self.key}
        claim = {"owner": self.owner, "key": self.key, "request_hash": self.fingerprint(), "state": "pending"}
        async with self.sessions() as s, s.begin():
            claimed = (await s.execute(_CLAIM, claim)).first() is not None
        if not claimed:
            replay = await self._claim_again(claim)
            if replay is not None:
                return replay
        try:
            content = _json(await work())
        except BaseException:
            async with self.sessions() as s, s.begin():
                await s.execute(_RELEASE, this)
            raise
        async with self.sessions() as s, s.begin():
            await s.execute(_DONE, {**this, "status": status_code, "content": content})
        return JSONResponse(content, status_code=status_code)

    async def run_in(self, uow: UnitOfWork, status_code: int,
                     work: Callable[[AsyncSession], Awaitable[Any]]) -> JSONResponse:
        """`run` for a use case that runs in one transaction: the claim, `work(session)` (which must not commit) and
        the stored answer commit together, one transaction instead of three. A concurrent request with the key
        waits at the claim (the row is not committed yet) until the first one ends, then replays its answer, or
        runs if the first one failed: a failed request leaves no claim behind. A `pending` claim committed by `run`
        is answered as `run` does (409 `idempotency.in_progress`, or taken over once stale)."""
        claim = {"owner": self.owner, "key": self.key, "request_hash": self.fingerprint() if self.key else "",
                 "state": "pending"}
        async with uow:
            if not self.key or (await uow.session.execute(_CLAIM, claim)).first() is not None:
                content = _json(await work(uow.session))
                if self.key:
                    await uow.session.execute(_DONE, {"this_owner": self.owner, "this_key": self.key,
                                                      "status": status_code, "content": content})
                await uow.commit()
                return JSONResponse(content, status_code=status_code)
        replay = await self._claim_again(claim)
        if replay is not None:
            return replay
        try:  # an abandoned claim taken over: it is committed, so a failure releases it
            async with uow:
                content = _json(await work(uow.session))
                await uow.session.execute(_DONE, {"this_owner": self.owner, "this_key": self.key,
                                                  "status": status_code, "content": content})
                await uow.commit()
        except BaseException:
            async with self.sessions() as s, s.begin():
                await s.execute(_RELEASE, {"this_owner": self.owner, "this_key": self.key})
            raise
        return JSONResponse(content, status_code=status_code)

    async def replay(self) -> JSONResponse | None:
        """For a request whose key was found taken (`ANSWERED_CLAIMS_SQL`), once that statement has ended: the stored
        answer (`idempotent-replayed: true`); 422 `idempotency.key_reused` (another request with the key), 409
        `idempotency.in_progress` (still running elsewhere); or None when the claim was abandoned and this request
        has taken it over (committed `pending`): its work is the caller's, and its answer goes in with `store_all`."""
        return await self._claim_again({"owner": self.owner, "key": self.key or "",
                                        "request_hash": self.fingerprint(), "state": "pending"})

    async def _claim_again(self, claim: dict[str, str]) -> JSONResponse | None:
        """The key is taken: the stored response (None when the claim was taken over), or why not."""
        async with self.sessions() as s, s.begin():
            stored = (await s.execute(_STORED, {"this_owner": claim["owner"], "this_key": claim["key"]})
                      ).mappings().first()
            if stored is not None and stored["request_hash"] != claim["request_hash"]:
                raise IdempotencyKeyReused("this Idempotency-Key was used with a different request")
            if stored is not None and stored["state"] == "done":
                return JSONResponse(stored["response"], status_code=stored["status_code"],
                                    headers={"idempotent-replayed": "true"})
            claimed = (await s.execute(_TAKE_OVER, claim)).first() is not None
        if not claimed:
            raise IdempotencyInProgress("a request with this Idempotency-Key is still being processed; retry later")
        return None


# -- several requests in one statement or transaction (concurrent requests run together: kit.group_commit) --------
_STORE_ALL = text(
    "UPDATE idempotency_key k SET state = 'done', status_code = a.status, response = CAST(a.response AS jsonb) "
    "FROM unnest(CAST(:owners AS text[]), CAST(:keys AS text[]), CAST(:statuses AS integer[]), "
    "CAST(:responses AS text[])) AS a(owner, key, status, response) WHERE k.owner = a.owner AND k.key = a.key")


async def store_all(session: AsyncSession, answers: Sequence[tuple[Idempotency, int, str]]) -> None:
    """The answers (status code, JSON text) of requests whose claims this transaction holds (taken over:
    `replay()`), stored for their replays: they commit with the work. Requests without a key are skipped."""
    kept = [(r, status, content) for r, status, content in answers if r.key]
    if kept:
        await session.execute(_STORE_ALL, {"owners": [r.owner for r, _, _ in kept], "keys": [r.key for r, _, _ in kept],
                                           "statuses": [s for _, s, _ in kept], "responses": [c for _, _, c in kept]})


ANSWERED_CLAIMS_SQL = (
    "INSERT INTO idempotency_key (owner, key, request_hash, state, status_code, response) "
    "SELECT c.owner, c.key, c.request_hash, 'done', c.status, CAST(c.response AS jsonb) "
    "FROM unnest(CAST(:claim_owners AS text[]), CAST(:claim_keys AS text[]), CAST(:claim_hashes AS text[]), "
    "CAST(:claim_statuses AS integer[]), CAST(:claim_responses AS text[])) "
    "AS c(owner, key, request_hash, status, response) ORDER BY c.owner, c.key ON CONFLICT DO NOTHING "
    "RETURNING owner, key")


def answered_claims_params(answers: Sequence[tuple[Idempotency, int, str]]) -> dict[str, list[Any]]:
    """For a use case that is one statement (so one transaction without BEGIN and COMMIT): `ANSWERED_CLAIMS_SQL`, a
    CTE body that claims the keys of `answers` (request, status code, JSON text) with their answers at once, as
    `run_in`'s claim and stored answer committing together; it returns the (owner, key) claimed, and the statement
    does a request's work only for those (or for a request without a key). A key taken (by an earlier request of
    the same statement too: pass each key once) is answered with `replay()` after the statement. Keys are claimed in
    (owner, key) order, so two statements never wait for each other in a circle."""
    keyed = [(r, status, content) for r, status, content in answers if r.key]
    return {"claim_owners": [r.owner for r, _, _ in keyed], "claim_keys": [r.key for r, _, _ in keyed],
            "claim_hashes": [r.fingerprint() for r, _, _ in keyed], "claim_statuses": [s for _, s, _ in keyed],
            "claim_responses": [c for _, _, c in keyed]}


def _json(result: Any) -> Any:
    if isinstance(result, BaseModel):
        return json.loads(result.model_dump_json())
    return jsonable_encoder(result)


def owner_of(principal: Principal) -> str:
    return f"{principal.subject}|{(principal.actor or {}).get('sub', '')}"


async def _raw_body(request: Request) -> bytes:
    return await request.body()


KeyHeader = Annotated[api_text.text(200) | None, Header(alias=HEADER)]


def idempotent(*, exclude: Collection[str] = (), body: Callable[..., Any] | None = None) -> Any:
    """`Depends` giving the request's `Idempotency`.

    `exclude`: top-level JSON fields of the body left out of the fingerprint (e.g. a passphrase).
    `body`: a dependency giving what identifies the request instead of its raw body (bytes, or parts of it), e.g. an
    upload's file content and its callback URL: a multipart body differs by its boundary every time."""
    excluded = frozenset(exclude)

    async def dependency(request: Request, principal: CurrentPrincipal, key: KeyHeader = None,
                         content: Content = Depends(body or _raw_body)) -> Idempotency:  # noqa: B008
        return Idempotency(state_of(request).sessions, owner_of(principal), key,
                           request.method.encode() + request.url.path.encode() + b"\n", content, excluded)

    return Depends(dependency)
