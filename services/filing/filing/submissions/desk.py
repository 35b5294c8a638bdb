"""Group commit of single submissions. Requests that arrive while a group is being submitted wait together and go as
the next group: one set-based read (step 1) for all of them, one identity call per signer and credential (step 2),
one filing transaction (step 3). At low load a group is one request and goes at once; under load hundreds share the
round trips and the commits, as a batch does, and each caller still gets its own answer or refusal.

- A return is in one group at a time: a second request for the same return waits until the first one's group is
  done, so it sees its outcome (as if it had come after it).
- Each request keeps its own submission time (the day the rules judge) and signer; requests signed with different
  credentials, passphrases or signing sessions are signed in separate identity calls, so a wrong passphrase refuses
  only the requests that sent it. Requests that sent the same wrong passphrase together count as one attempt.
- A signing session whose budget cannot cover a whole call is retried one return at a time, in arrival order, so
  the session signs as many as it would have one by one.
- An unexpected failure of a shared step (not a refusal) is retried one request at a time, so it fails only the
  request that causes it; a transient one (the database away) fails the group at once (503, Retry-After).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Hashable, Set
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from filing.returns.errors import ReturnUnsigned
from filing.submissions.errors import SubmissionsBusy
from filing.submissions.prepare import Ask, Prepared, prepare_many, without_transaction
from filing.submissions.reading import read_many
from filing.submissions.record import SignedReturn, record_many
from filing.submissions.schemas import BATCH_MAX, SubmissionRead
from filing.submissions.signing import Key, Signed, sign
from kit.db import UnitOfWork
from kit.errors import AppError, is_transient
from kit.signing import IdentityClient


@dataclass
class Request:
    ask: Ask
    credential_id: uuid.UUID
    key: Key
    done: asyncio.Future[SubmissionRead] = field(repr=False)

    @property
    def signing(self) -> Hashable:
        """Requests that may share one identity call."""
        return (self.credential_id, self.key, self.ask.signer)


def take_group(pending: list[Request], limit: int, *, busy: Set[tuple[str, str, str]] = frozenset()
               ) -> tuple[list[Request], list[Request]]:
    """(the next group, what stays pending): in arrival order, at most `limit`, each return at most once and none
    that a group in flight holds (`busy`)."""
    group: list[Request] = []
    rest: list[Request] = []
    seen: set[tuple[str, str, str]] = set(busy)
    for request in pending:
        if len(group) < limit and request.ask.key not in seen:
            seen.add(request.ask.key)
            group.append(request)
        else:
            rest.append(request)
    return group, rest


def _settle(request: Request, outcome: SubmissionRead | BaseException) -> None:
    if request.done.done():
        return
    if isinstance(outcome, BaseException):
        request.done.set_exception(outcome)
    else:
        request.done.set_result(outcome)


class SubmissionDesk:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], identity: IdentityClient, public_url: str, *,
                 max_group: int = BATCH_MAX, max_in_flight: int = 1, max_waiting: int = 10 * BATCH_MAX) -> None:
        """`max_in_flight` groups at once (no return in two of them): with more than one, the next group is read
        and checked while one waits on identity or commits. One is the default: measured on 2 shared cores
        (bench/filing_submission.py), two groups in flight halved the groups and cost more CPU per submission (2.33
        against 2.0 ms) for no throughput; it pays when identity's round trip is long (another host)."""
        self._sessions, self._identity, self._public_url = sessions, identity, public_url
        self._max_group, self._max_in_flight, self._max_waiting = max_group, max_in_flight, max_waiting
        self._pending: list[Request] = []
        self._running: set[asyncio.Task[None]] = set()
        self._busy: set[tuple[str, str, str]] = set()  # the returns of the groups in flight
        self.groups = 0  # groups submitted, and the requests in them (the mean group size is the ratio)
        self.requests = 0

    @property
    def waiting(self) -> int:
        """Requests waiting for a group."""
        return len(self._pending)

    async def submit(self, ask: Ask, *, credential_id: uuid.UUID, key: Key) -> SubmissionRead:
        """The return submitted (filed, or waiting for payment) as the API reads it; raises its refusal, or
        `SubmissionsBusy` (503, Retry-After) when `max_waiting` requests already wait."""
        if len(self._pending) >= self._max_waiting:
            raise SubmissionsBusy(waiting=len(self._pending), retry_after=1)
        done: asyncio.Future[SubmissionRead] = asyncio.get_running_loop().create_future()
        done.add_done_callback(lambda f: f.cancelled() or f.exception())  # retrieved, even if the caller is gone
        self._pending.append(Request(ask, credential_id, key, done))
        self._start_groups()
        return await asyncio.shield(done)  # a caller that goes away does not cancel the others' group

    def _start_groups(self) -> None:
        while self._pending and len(self._running) < self._max_in_flight:
            group, self._pending = take_group(self._pending, self._max_group, busy=self._busy)
            if not group:
                return
            keys = {r.ask.key for r in group}
            self._busy |= keys
            self.groups += 1
            self.requests += len(group)
            task = asyncio.create_task(self._run(group), name="submission-desk")
            self._running.add(task)
            task.add_done_callback(lambda t, keys=keys: self._finished(t, keys))  # type: ignore[misc]

    def _finished(self, task: asyncio.Task[None], keys: set[tuple[str, str, str]]) -> None:
        self._running.discard(task)
        self._busy -= keys
        if task.cancelled():  # shutdown: nobody is left to serve the others
            for request in self._pending:
                _settle(request, asyncio.CancelledError())
            self._pending = []
            return
        self._start_groups()

    async def _run(self, group: list[Request]) -> None:
        try:
            await self._submit(group)
        except BaseException as exc:
            for request in group:
                _settle(request, exc)
            if not isinstance(exc, Exception):
                raise

    async def _submit(self, group: list[Request]) -> None:
        try:
            async with UnitOfWork(self._sessions) as uow:  # step 1: read only
                await without_transaction(uow.session)
                prepared = await prepare_many(uow.session, [r.ask for r in group])
        except Exception as exc:
            if len(group) == 1 or is_transient(exc):  # the database is away: every request answers 503 at once
                raise
            for request in group:
                await self._submit([request])
            return
        by_signing: dict[Hashable, list[tuple[Request, Prepared]]] = {}
        for request, outcome in zip(group, prepared, strict=True):
            if isinstance(outcome, AppError):
                _settle(request, outcome)
            else:
                by_signing.setdefault(request.signing, []).append((request, outcome))
        calls = list(by_signing.values())
        signed_calls = await asyncio.gather(*(self._sign(call) for call in calls), return_exceptions=True)
        signed: list[tuple[Request, SignedReturn]] = []
        for call, outcome in zip(calls, signed_calls, strict=True):
            for i, (request, p) in enumerate(call):
                this: Any = outcome if isinstance(outcome, BaseException) else outcome[i]
                if isinstance(this, BaseException):
                    _settle(request, this)
                else:
                    signed.append((request, SignedReturn(p, this, request.credential_id)))
        if not signed:
            return
        try:
            answers = await self._record([s for _, s in signed])
        except Exception as exc:
            if len(signed) == 1 or is_transient(exc):
                raise
            for request, item in signed:
                try:
                    _settle(request, (await self._record([item]))[0])
                except Exception as exc:
                    _settle(request, exc)
            return
        for (request, _), answer in zip(signed, answers, strict=True):
            _settle(request, answer)

    async def _sign(self, call: list[tuple[Request, Prepared]]) -> list[Signed | AppError]:
        first = call[0][0]
        prepared = [p for _, p in call]
        try:
            return list(await sign(self._identity, prepared, first.credential_id, first.key))
        except ReturnUnsigned as refused:
            if len(call) == 1 or refused.details.get("signer_code") != "signing_session.exhausted":
                raise
        outcomes: list[Signed | AppError] = []  # the budget falls short of the call: one at a time, in order
        for p in prepared:
            try:
                outcomes += await sign(self._identity, [p], first.credential_id, first.key)
            except ReturnUnsigned as alone:  # spent (or closed meanwhile): the rest cannot be signed either
                return outcomes + [alone] * (len(prepared) - len(outcomes))
        return outcomes

    async def _record(self, items: list[SignedReturn]) -> list[SubmissionRead | AppError]:
        """Step 3 and the answers, in one transaction."""
        async with UnitOfWork(self._sessions) as uow:
            outcomes = await record_many(uow.session, items)
            filed = [x.prepared.spt_id for x, o in zip(items, outcomes, strict=True) if o is None]
            reads = await read_many(uow.session, filed, self._public_url) if filed else {}
            await uow.commit()
        return [o if o is not None else reads[x.prepared.spt_id] for x, o in zip(items, outcomes, strict=True)]
