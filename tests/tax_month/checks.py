"""Step 7: the end-of-month checks, over the whole stack (every event the session's tests caused, not only the
month's). This is the one place the scenario reads databases, and only reads:

- every service's outbox backlog drains to zero;
- every consumer group's inbox holds the events published to its topics that it handles (the same event ids, not
  only as many; those of the month when the stack is shared) and nothing else: nothing lost, and (inbox primary
  key) nothing applied twice; a dead letter would be missing from it, and the dead-letter topics are empty too;
- payment's ledger audit finds no problem (debits = credits, each payment settled by exactly one transfer, each
  debt recorded once, balances equal open debts), and each payment of the month is one payment row;
- no NSFP twice, no notice twice for one fact, no SPT version twice, no STP twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import text

import filing.worker
import identity.worker
import invoice.worker
import notification.worker
import payment.worker
from contracts.topics import dlq_topic
from devstack.config import SERVICES
from devstack.stack import Stack
from kit.db import UnitOfWork, create_engine, create_sessionmaker
from kit.dlq import read_all
from kit.settings import DatabaseSettings, KafkaSettings
from kit.worker import ConsumerSpec
from notification.otp import Context
from notification.settings import NotificationSettings
from notification.templating import Catalogue
from payment.ledger.service import audit_ledger


def consumer_specs() -> dict[str, Sequence[ConsumerSpec]]:
    """Every service's consumer groups, as its worker declares them."""
    settings = NotificationSettings()
    return {"identity": identity.worker.CONSUMERS, "invoice": invoice.worker.CONSUMERS,
            "filing": filing.worker.CONSUMERS, "payment": payment.worker.CONSUMERS,
            "notification": notification.worker.consumers(Context(settings, Catalogue.load(settings.templates_dir)))}


@dataclass
class Figures:
    published: dict[str, int] = field(default_factory=dict)  # events per producing service
    by_type: dict[str, int] = field(default_factory=dict)  # events per type, all services
    applied: dict[str, int] = field(default_factory=dict)  # inbox rows per consumer group
    dead_letters: dict[str, int] = field(default_factory=dict)
    republished: dict[str, int] = field(default_factory=dict)  # events the relay published more than once
    payments: int = 0
    transfers: int = 0
    stps: int = 0
    notices: int = 0
    messages: int = 0

    def lines(self) -> list[str]:
        return [f"events published: {sum(self.published.values())} {self.published}",
                f"events applied per consumer group: {self.applied}",
                f"dead letters: {self.dead_letters}",
                f"events published more than once (the relay sent them again): {self.republished}",
                f"payments: {self.payments}, ledger transfers: {self.transfers}, STPs: {self.stps}, "
                f"inbox notices: {self.notices}, messages (SMS and e-mail): {self.messages}"]


class Databases:
    """One engine per service database, read only by these checks."""

    def __init__(self, stack: Stack) -> None:
        self.engines = {s: create_engine(DatabaseSettings(dsn=stack.database_url(s)), application_name="tax-month",
                                         pool_size=1) for s in SERVICES}

    async def rows(self, service: str, sql: str, **params: Any) -> list[Any]:
        async with self.engines[service].connect() as conn:
            return list((await conn.execute(text(sql), params)).all())

    async def scalar(self, service: str, sql: str, **params: Any) -> int:
        async with self.engines[service].connect() as conn:
            return int((await conn.execute(text(sql), params)).scalar_one())

    async def close(self) -> None:
        await asyncio.gather(*(e.dispose() for e in self.engines.values()))


async def drained(db: Databases, timeout: float = 120) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        backlog = {s: await db.scalar(s, "SELECT count(*) FROM outbox WHERE published_at IS NULL") for s in SERVICES}
        if not any(backlog.values()):
            return
        assert loop.time() < deadline, f"outbox backlog after {timeout}s: {backlog}"
        await asyncio.sleep(0.5)


async def expected_and_applied(db: Databases, specs: dict[str, Sequence[ConsumerSpec]], since: datetime | None
                               ) -> dict[str, tuple[set[str], set[str], set[str]]]:
    """Per consumer group: the ids of the published events it handles (all of them, and those created since
    `since`), and the ids its inbox holds."""
    published: dict[str, list[Any]] = {}
    for service in SERVICES:
        for topic, event_id, event_type, version, created_at in await db.rows(
                service, "SELECT topic, payload->>'id', event_type, event_version, created_at FROM outbox "
                         "WHERE published_at IS NOT NULL"):
            published.setdefault(topic, []).append((event_id, event_type, version, created_at))
    out = {}
    for service, groups in specs.items():
        for spec in groups:
            group = f"{service}.{spec.purpose}"
            handled = [(event_id, created_at) for topic in spec.topics
                       for event_id, event_type, version, created_at in published.get(topic, [])
                       if spec.handlers.get(SimpleNamespace(type=event_type, version=version)) is not None]  # type: ignore[arg-type]
            applied = {str(r[0]) for r in await db.rows(service, "SELECT event_id FROM inbox WHERE consumer = :c",
                                                        c=group)}
            out[group] = ({i for i, _ in handled}, {i for i, at in handled if since is None or at >= since}, applied)
    return out


async def consumers_caught_up(db: Databases, specs: dict[str, Sequence[ConsumerSpec]], since: datetime | None,
                              timeout: float = 120) -> dict[str, tuple[set[str], set[str], set[str]]]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        seen = await expected_and_applied(db, specs, since)
        behind = {g: len(want - got) for g, (_, want, got) in seen.items() if want - got}
        extra = {g: sorted(got - every)[:5] for g, (every, _, got) in seen.items() if got - every}
        assert not extra, f"inboxes hold events no producer published: {extra}"
        if not behind:
            return seen
        assert loop.time() < deadline, f"events published but never applied, per consumer group: {behind}"
        await asyncio.sleep(0.5)


async def check_month(stack: Stack, *, since: datetime | None = None, ntpns: Sequence[str] = (),
                      nsfps: Sequence[str] = ()) -> Figures:
    """The checks; `since`: every event created from then on must have reached every consumer group that handles
    it (the session's shared stack: an earlier test's own faults are not the month's business); None: every event."""
    figures = Figures()
    db = Databases(stack)
    try:
        await drained(db)
        seen = await consumers_caught_up(db, consumer_specs(), since)
        figures.applied = {g: len(got) for g, (_, _, got) in seen.items()}
        kafka = KafkaSettings(bootstrap_servers=stack.bootstrap, enable_idempotence=False)
        for service in SERVICES:
            figures.dead_letters[service] = len(await read_all(kafka, dlq_topic(service)))
            figures.published[service] = await db.scalar(service, "SELECT count(*) FROM outbox")
            figures.republished[service] = await db.scalar(service, "SELECT count(*) FROM outbox WHERE attempts > 1")
            for event_type, n in await db.rows(service, "SELECT event_type, count(*) FROM outbox GROUP BY 1"):
                figures.by_type[event_type] = figures.by_type.get(event_type, 0) + int(n)
        assert not any(figures.dead_letters.values()), f"dead letters: {figures.dead_letters}"

        # -- money: the ledger balances, each payment posted once -------------------------------------------------
        audit = await audit_ledger(UnitOfWork(create_sessionmaker(db.engines["payment"])))
        assert audit.problems == [], audit.problems
        figures.payments = await db.scalar("payment", "SELECT count(*) FROM payment")
        figures.transfers = await db.scalar("payment", "SELECT count(*) FROM transfer")
        if ntpns:
            once = await db.rows("payment", "SELECT ntpn, count(*) FROM payment WHERE ntpn = ANY(:n) GROUP BY ntpn",
                                 n=list(ntpns))
            assert sorted((str(n), int(c)) for n, c in once) == sorted((n, 1) for n in set(ntpns)), once

        # -- nothing twice ----------------------------------------------------------------------------------------
        assert await db.rows("invoice", "SELECT nsfp FROM invoice WHERE nsfp IS NOT NULL GROUP BY nsfp "
                                        "HAVING count(*) > 1") == []
        if nsfps:
            assert await db.scalar("invoice", "SELECT count(*) FROM invoice WHERE nsfp = ANY(:n)",
                                   n=list(nsfps)) == len(set(nsfps))
        assert await db.rows("filing", "SELECT npwp, form, period, version FROM spt GROUP BY 1, 2, 3, 4 "
                                       "HAVING count(*) > 1") == []
        assert await db.rows("filing", "SELECT number FROM stp GROUP BY 1 HAVING count(*) > 1") == []
        assert await db.rows("payment", "SELECT source, source_reference FROM debt GROUP BY 1, 2 "
                                        "HAVING count(*) > 1") == []
        assert await db.rows("notification", "SELECT taxpayer, source_event_id, notice FROM inbox_item "
                                             "GROUP BY 1, 2, 3 HAVING count(*) > 1") == []
        assert await db.rows("notification", "SELECT request_id, channel FROM message GROUP BY 1, 2 "
                                             "HAVING count(*) > 1") == []
        figures.stps = await db.scalar("filing", "SELECT count(*) FROM stp")
        figures.notices = await db.scalar("notification", "SELECT count(*) FROM inbox_item")
        figures.messages = await db.scalar("notification", "SELECT count(*) FROM message")
    finally:
        await db.close()
    return figures
