"""The dispatcher (in the worker process): hands queued messages to providers, with failover, retries and health.

Loop: claim due messages (lease, FOR UPDATE SKIP LOCKED, so any number of workers share the queue), deliver each
concurrently (bounded), write the outcomes in short transactions that concurrent deliveries share (group commit).
No database transaction is open while a provider is called. Woken by NOTIFY when messages are queued, polls as a
fallback and for retries that come due.

One delivery: the providers of the channel in the order provider health gives (healthy first, those that already
failed this message last, open circuits skipped; a provider with all its connections busy after the others), each
tried until one accepts. An OTP code is opened from its
sealed box right before the first provider call and exists only in memory for that call. If none accepts: retry
later with capped exponential back-off and jitter, until `max_attempts` provider calls were made, a provider said
the request can never succeed, or the OTP expired; then the message fails (and identity hears NotificationFailed).
A provider that accepted but does not report delivery in time, or reports failure, sends the message back to the
queue for the next provider.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kit.group_commit import AfterCommit, GroupCommit
from kit.sealing import SealError, open_sealed
from notification.addresses import mask
from notification.backoff import backoff_delay
from notification.clock import utcnow
from notification.health import Health
from notification.metrics import ATTEMPTS, LATENCY, MESSAGES, REJECTED
from notification.otp import otp_params
from notification.outcomes import report_delivered, report_failed
from notification.providers import Outgoing, Provider, ProviderError
from notification.repository import DISPATCH_CHANNEL, MessageRepository
from notification.settings import NotificationSettings
from notification.templating import Catalogue, UnknownTemplate

log = logging.getLogger(__name__)


@dataclass
class _Outcome:
    attempts: list[dict[str, Any]] = field(default_factory=list)
    accepted_by: Provider | None = None
    provider_message_id: str | None = None
    permanent: bool = False
    last_error: str | None = None
    reject_reason: str | None = None  # refused before any provider call


class Dispatcher:
    def __init__(self, settings: NotificationSettings, sessions: async_sessionmaker[AsyncSession],
                 providers: Mapping[str, Provider], catalogue: Catalogue, health: Health | None = None) -> None:
        self.settings = settings
        self.sessions = sessions
        self.providers = dict(providers)
        self.catalogue = catalogue
        self.health = health or Health(self.providers, settings.breaker)
        self.by_channel: dict[str, list[str]] = {}
        for name, provider in self.providers.items():
            self.by_channel.setdefault(provider.channel, []).append(name)
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        # Outcomes are written in shared transactions: at 100 messages/s one transaction each was most of the cost.
        self._outcomes: GroupCommit[tuple[dict[str, Any], _Outcome]] = GroupCommit(sessions, self._write_outcomes)
        self.delivered = 0

    # -- loop ------------------------------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        listener = asyncio.create_task(self._listen(stop), name="dispatch-listen")
        backoff = 0.2
        last_sweep = 0.0
        try:
            while not stop.is_set():
                try:
                    self._wake.clear()
                    now = time.monotonic()
                    if now - last_sweep >= self.settings.delivery.poll_interval_s:
                        await self._requeue_unreported()
                        last_sweep = now
                    claimed = await self._claim()
                    backoff = 0.2
                except Exception as exc:  # the database is away: try again later, keep what is in flight
                    log.warning("dispatcher cannot reach the database", extra={"error": repr(exc)})
                    await _wait(stop, backoff)
                    backoff = min(backoff * 2, 10.0)
                    continue
                if claimed:
                    continue  # more may be due; slots bound how many run at once
                await self._wait_for_work(stop)
        finally:
            listener.cancel()
            if self._tasks:
                await asyncio.wait(self._tasks, timeout=self.settings.delivery.lease_s / 4)

    async def _claim(self) -> int:
        free = self.settings.delivery.concurrency - len(self._tasks)
        if free <= 0:
            await asyncio.wait(self._tasks, return_when=asyncio.FIRST_COMPLETED)
            return 1
        async with self.sessions() as session, session.begin():
            repo = MessageRepository(session)
            rows = await repo.claim_due(min(free, self.settings.delivery.batch_size), self.settings.delivery.lease_s)
            failed = await repo.failed_providers([r["id"] for r in rows]) if rows else {}
        for row in rows:
            task = asyncio.create_task(self._deliver_guarded(row, failed.get(row["id"], set())))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return len(rows)

    async def _requeue_unreported(self) -> None:
        async with self.sessions() as session, session.begin():
            requeued = await MessageRepository(session).requeue_unreported()
        for message_id, provider in requeued:
            log.info("no delivery report in time: failing over", extra={"message_id": str(message_id),
                                                                        "provider": provider})

    async def _listen(self, stop: asyncio.Event) -> None:
        """LISTEN for new work; without it the poll still finds everything, only later."""
        while not stop.is_set():
            conn = None
            try:
                conn = await asyncpg.connect(self.settings.database.asyncpg_dsn,
                                             timeout=self.settings.database.connect_timeout_s,
                                             server_settings={"application_name": "notification.dispatch"})
                await conn.add_listener(DISPATCH_CHANNEL, lambda *_: self._wake.set())
                while not stop.is_set() and not conn.is_closed():
                    await _wait(stop, 5)
            except Exception as exc:
                log.info("dispatch listener reconnecting", extra={"error": repr(exc)})
                await _wait(stop, 2)
            finally:
                if conn is not None:
                    conn.terminate()

    async def _wait_for_work(self, stop: asyncio.Event) -> None:
        waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())]
        try:
            await asyncio.wait(waits, timeout=self.settings.delivery.poll_interval_s,
                               return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waits:
                w.cancel()

    # -- one message -----------------------------------------------------------------------------------------
    async def _deliver_guarded(self, row: dict[str, Any], failed_before: set[str]) -> None:
        try:
            await self.deliver(row, failed_before)
        except Exception as exc:  # the lease expires and another round picks the message up again
            log.exception("delivery interrupted", extra={"message_id": str(row["id"]), "error": repr(exc)})

    async def deliver(self, row: dict[str, Any], failed_before: set[str]) -> None:
        message_id: uuid.UUID = row["id"]
        if row["suspect_provider"] in self.health.breakers:
            self.health[row["suspect_provider"]].record(False)  # a negative or missing delivery report
        outcome = await self._hand_over(row, failed_before)
        await self._outcomes.submit((row, outcome))
        if outcome.accepted_by is not None:
            self.delivered += 1
        log.info("delivery round done", extra={
            "message_id": str(message_id), "kind": row["kind"], "channel": row["channel"],
            "to": mask(row["channel"], row["recipient"]),
            "provider": outcome.accepted_by.name if outcome.accepted_by else None,
            "attempts": [(a["provider"], a["state"]) for a in outcome.attempts], "error": outcome.last_error})

    async def _hand_over(self, row: dict[str, Any], failed_before: set[str]) -> _Outcome:
        outcome = _Outcome()
        now = utcnow()
        if row["expires_at"] is not None and row["expires_at"] <= now:
            outcome.reject_reason = "expired: the code expired before it could be delivered"
            return outcome
        names = self.by_channel.get(row["channel"], [])
        if not names:
            outcome.reject_reason = f"no_provider: no {row['channel']} provider is configured"
            return outcome
        try:
            template = self.catalogue.get(row["template"], row["channel"])
        except UnknownTemplate as exc:
            outcome.reject_reason = f"unknown_template: {exc}"
            return outcome
        if row["kind"] == "otp" and not row["sealed_code"]:
            outcome.reject_reason = "sealed_payload_unreadable: no sealed code"
            return outcome
        budget = self.settings.delivery.max_attempts - row["attempts"]
        code: str | None = None
        if row["kind"] == "otp":  # opened here, right before the provider calls, and only kept in memory
            try:
                code = self._open(row["sealed_code"])
            except SealError:
                outcome.reject_reason = "sealed_payload_unreadable: the sealed code cannot be opened"
                return outcome
        # A provider with every connection busy (slow, or simply loaded) goes after those that can take the call
        # now: waiting behind its queue would make the message as late as the provider is slow.
        order = sorted(self.health.order(names, failed_before), key=lambda pair: self.providers[pair[0]].saturated)
        for name, forced in order:
            if len(outcome.attempts) >= budget:
                break
            breaker = self.health[name]
            if not breaker.acquire(force=forced):
                continue
            params = dict(row["params"])
            if code is not None:
                params = {**otp_params(row["expires_at"], utcnow()), "code": code}
            rendered = template.render(row["channel"], row["locale"], params,
                                       default_locale=self.settings.default_locale)
            provider = self.providers[name]
            started = time.perf_counter()
            try:
                provider_id = await provider.send(Outgoing(str(row["id"]), row["recipient"], rendered.subject,
                                                           rendered.body))
            except ProviderError as exc:
                latency = (time.perf_counter() - started) * 1000
                breaker.record(False, latency)
                self._observe(provider, "timeout" if exc.timeout else "failed", latency)
                outcome.attempts.append(self._attempt(row, name, "failed", exc.reason, latency))
                outcome.last_error = f"{name}: {exc.reason}"
                outcome.permanent = outcome.permanent or exc.permanent
                continue
            latency = (time.perf_counter() - started) * 1000
            breaker.record(True, latency)
            self._observe(provider, "accepted", latency)
            outcome.attempts.append(self._attempt(row, name, "accepted", None, latency, provider_id))
            outcome.accepted_by, outcome.provider_message_id = provider, provider_id
            break
        del code
        return outcome

    def _open(self, sealed: str) -> str:
        key = self.settings.sealing.private_key
        if key is None:
            raise SealError("no sealing key configured")
        code = open_sealed(key.get_secret_value(), sealed).decode("ascii", "strict")
        if not (code.isdigit() and 4 <= len(code) <= 10):
            raise SealError("the sealed payload is not a code")
        return code

    @staticmethod
    def _attempt(row: dict[str, Any], provider: str, state: str, error: str | None, latency_ms: float,
                 provider_message_id: str | None = None) -> dict[str, Any]:
        return {"message_id": row["id"], "provider": provider, "state": state, "error": error,
                "latency_ms": int(latency_ms), "provider_message_id": provider_message_id, "at": utcnow()}

    @staticmethod
    def _observe(provider: Provider, outcome: str, latency_ms: float) -> None:
        ATTEMPTS.labels(provider.name, provider.channel, outcome).inc()
        LATENCY.labels(provider.name, provider.channel).observe(latency_ms / 1000)

    async def _write_outcomes(self, session: AsyncSession,
                              items: list[tuple[dict[str, Any], _Outcome]]) -> AfterCommit:
        """The outcomes of delivery rounds, in one transaction: the attempts, each message's new state and, for an
        OTP, what identity hears. Hand-overs (the common case) are written with one statement for all. Returns the
        metrics to count once committed."""
        repo = MessageRepository(session)
        await repo.add_attempts([a for _, outcome in items for a in outcome.attempts])
        now = utcnow()
        counts: Counter[tuple[str, str, str]] = Counter()
        rejected: Counter[tuple[str, str]] = Counter()
        accepted = [(row, outcome, outcome.accepted_by) for row, outcome in items if outcome.accepted_by]
        report_deadline = now + timedelta(seconds=self.settings.delivery.report_timeout_s)
        sent = await repo.mark_sent_many([
            # no report to wait for means no failover any more: the sealed code is not needed again
            dict(id=row["id"], provider=provider.name, provider_message_id=outcome.provider_message_id,
                 attempts=row["attempts"] + len(outcome.attempts), keep_sealed_code=provider.delivery_reports,
                 report_deadline=report_deadline if provider.delivery_reports else None)
            for row, outcome, provider in accepted])
        for row, _, provider in accepted:
            if row["id"] in sent:
                counts[(row["kind"], row["channel"], "sent")] += 1
                await report_delivered(session, **_about(row), provider=provider.name, status="sent", at=now)
        for row, outcome in items:
            if outcome.accepted_by is None:
                reason = await self._write_not_sent(repo, row, outcome, now)
                if reason is not None:
                    counts[(row["kind"], row["channel"], "failed")] += 1
                    if outcome.reject_reason:
                        rejected[(row["kind"], reason.partition(":")[0])] += 1

        def count() -> None:
            for labels, n in counts.items():
                MESSAGES.labels(*labels).inc(n)
            for labels, n in rejected.items():
                REJECTED.labels(*labels).inc(n)
        return count

    async def _write_not_sent(self, repo: MessageRepository, row: dict[str, Any], outcome: _Outcome,
                              now: datetime) -> str | None:
        """No provider took the message: it fails (returns why) or waits for its next round (returns None)."""
        attempts = row["attempts"] + len(outcome.attempts)
        reason = outcome.reject_reason
        expired = row["expires_at"] is not None and row["expires_at"] <= now
        if reason is None and (outcome.permanent or attempts >= self.settings.delivery.max_attempts or expired):
            reason = "expired: the code expired before it could be delivered" if expired else \
                f"undeliverable: {outcome.last_error or 'no provider accepted the message'}"
        if reason is not None:
            if not await repo.mark_failed(row["id"], attempts=attempts, error=reason):
                return None
            await report_failed(repo.session, **_about(row), reason=reason, attempts=attempts, at=now)
            return reason
        rounds = row["rounds"] + 1
        delay = backoff_delay(rounds, base_s=self.settings.delivery.backoff_base_s,
                              cap_s=self.settings.delivery.backoff_max_s)
        await repo.schedule_retry(row["id"], attempts=attempts, rounds=rounds, delay_s=delay,
                                  error=outcome.last_error or "no provider available")
        return None


def _about(row: dict[str, Any]) -> dict[str, Any]:
    return dict(message_id=row["id"], kind=row["kind"], request_id=row["request_id"], account_id=row["account_id"],
                channel=row["channel"])


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
