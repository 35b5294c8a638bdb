"""What flows through the system, sampled every `interval` seconds while the month runs:

- per service, the outbox rows published (`outbox_published_total` of its worker's /metrics; identity's split by
  topic from its outbox table, since it also writes `notification.commands`) and not yet published
  (`outbox_pending_count`);
- per consumer group, those the workers declare (their `ConsumerSpec`s: Tansu lists a group only once it has
  committed) and any other the broker lists, its committed offsets (a consumer with the group's id that never
  joins it, `AIOKafkaConsumer.committed`) and what the worker says it consumed (`consumer_events_total`, every
  outcome);
- its lag: the records on its topics minus its committed offsets. The records on a topic are the rows its producer
  published: the embedded broker (Tansu) answers ListOffsets with the last batch's base offset + 1, not the high
  watermark, so its end offsets understate a topic by up to a batch; on a fresh broker the published rows are
  exactly the records. The aiokafka admin client's OffsetFetch cannot decode Tansu's answer, hence the consumer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

import filing.worker
import identity.worker
import invoice.worker
import notification.worker
import payment.worker
from bench.tax_month.stack import RunningStack
from contracts.topics import COMMANDS_NOTIFICATION, TOPICS, dlq_topic, events_topic
from devstack.config import SERVICES
from notification.otp import Context
from notification.settings import NotificationSettings
from notification.templating import Catalogue

log = logging.getLogger(__name__)
PARTITIONS = {t.name: t.partitions for t in TOPICS}


def declared_groups() -> dict[str, list[str]]:
    """Every consumer group the workers start (`<service>.<purpose>`, kit.worker) and the topics it reads."""
    settings = NotificationSettings()
    specs = {"identity": identity.worker.CONSUMERS, "invoice": invoice.worker.CONSUMERS,
             "filing": filing.worker.CONSUMERS, "payment": payment.worker.CONSUMERS,
             "notification": notification.worker.consumers(Context(settings, Catalogue.load(settings.templates_dir)))}
    return {f"{service}.{spec.purpose}": list(spec.topics) for service, listed in specs.items() for spec in listed}


def group_topic(group: str) -> str | None:
    """The topic a group the workers do not declare reads, from the naming rule `<service>.<producer>-<purpose>`,
    or `notification.commands`."""
    _, _, purpose = group.partition(".")
    if purpose.startswith("commands"):
        return COMMANDS_NOTIFICATION
    producer = purpose.split("-", 1)[0]
    return events_topic(producer) if producer in SERVICES else None


@dataclass
class Sample:
    t: float  # time.time()
    published: dict[str, int]  # per service
    pending: dict[str, int]  # per service
    records: dict[str, int]  # per topic
    committed: dict[str, int]  # per group
    consumed: dict[str, int]  # per group, every outcome (the worker's count)
    dead_lettered: int
    topics: dict[str, list[str]]  # per group, what it reads

    def lag(self, group: str) -> int:
        records = sum(self.records.get(topic, 0) for topic in self.topics.get(group, ()))
        return max(0, records - self.committed.get(group, 0))


@dataclass
class Sampler:
    stack: RunningStack
    interval: float = 0.5
    samples: list[Sample] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    topics: dict[str, list[str]] = field(default_factory=declared_groups)
    unknown_groups: set[str] = field(default_factory=set)
    errors: int = 0
    _consumers: dict[str, AIOKafkaConsumer] = field(default_factory=dict)
    _task: asyncio.Task[None] | None = None
    _http: httpx.AsyncClient | None = None

    async def start(self) -> None:
        self._http = httpx.AsyncClient(timeout=5.0)
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for consumer in self._consumers.values():
            await consumer.stop()
        if self._http is not None:
            await self._http.aclose()

    async def _loop(self) -> None:
        while True:
            started = time.monotonic()
            try:
                self.samples.append(await self.sample())
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a sample lost is reported, not fatal
                self.errors += 1
                log.warning("sample failed: %r", exc)
            await asyncio.sleep(max(0.0, self.interval - (time.monotonic() - started)))

    async def sample(self) -> Sample:
        t = time.time()
        await self._discover_groups()
        metrics, identity_topics, committed = await asyncio.gather(
            asyncio.gather(*(self._metrics(s) for s in SERVICES)),
            self.stack.fetch("identity", "SELECT topic, count(*) FROM outbox WHERE published_at IS NOT NULL "
                                         "GROUP BY topic"),
            asyncio.gather(*(self._committed(g) for g in self.groups)))
        published, pending, consumed, dead = {}, {}, {}, 0
        for service, text in zip(SERVICES, metrics, strict=True):
            for name, labels, value in _parse(text):
                if name == "outbox_published_total" and labels.get("service") == service:
                    published[service] = int(value)
                elif name == "outbox_pending_count" and labels.get("service") == service:
                    pending[service] = int(value)
                elif name == "consumer_events_total":
                    consumed[labels["consumer"]] = consumed.get(labels["consumer"], 0) + int(value)
                    if labels.get("outcome") == "dead_lettered":
                        dead += int(value)
        records = {events_topic(s): published.get(s, 0) for s in SERVICES if s != "identity"}
        for row in identity_topics:
            records[row[0]] = int(row[1])
        return Sample(t, published, pending, records, dict(zip(self.groups, committed, strict=True)), consumed, dead,
                      self.topics)

    async def _discover_groups(self) -> None:
        """The declared groups at once; every 20 samples, any other the broker lists (a group added since)."""
        if not self._consumers:
            for group in self.topics:
                await self._watch(group)
        elif len(self.samples) % 20 == 0:
            admin = AIOKafkaAdminClient(bootstrap_servers=self.stack.bootstrap)
            await admin.start()
            try:
                listed = sorted(g for g, _ in await admin.list_consumer_groups())
            finally:
                await admin.close()
            for group in listed:
                if group in self._consumers:
                    continue
                topic = group_topic(group)
                if topic is None:
                    self.unknown_groups.add(group)
                    continue
                self.topics[group] = [topic]
                await self._watch(group)
        self.groups = sorted(self._consumers)

    async def _watch(self, group: str) -> None:
        consumer = AIOKafkaConsumer(bootstrap_servers=self.stack.bootstrap, group_id=group, enable_auto_commit=False)
        await consumer.start()  # never subscribes: it does not join the group
        self._consumers[group] = consumer

    async def _committed(self, group: str) -> int:
        """The group's committed offsets summed: one OffsetFetch for all its partitions through the consumer's
        coordinator (`committed()` would send one request per partition, load on the broker measured)."""
        consumer = self._consumers[group]
        partitions = [TopicPartition(topic, p) for topic in self.topics[group] for p in range(PARTITIONS[topic])]
        coordinator = getattr(consumer, "_coordinator", None)
        if coordinator is not None and hasattr(coordinator, "fetch_committed_offsets"):
            offsets = await coordinator.fetch_committed_offsets(partitions)
            return sum(max(0, o.offset) for o in offsets.values())
        return sum(o or 0 for o in await asyncio.gather(*(consumer.committed(tp) for tp in partitions)))

    async def _metrics(self, service: str) -> str:
        assert self._http is not None
        response = await self._http.get(f"{self.stack.stack.config.worker_url(service)}/metrics")
        response.raise_for_status()
        return response.text

    # -- reading the samples ---------------------------------------------------------------------------------------
    def between(self, t0: float, t1: float) -> list[Sample]:
        return [s for s in self.samples if t0 <= s.t <= t1]

    def peak_lag(self, t0: float, t1: float) -> dict[str, int]:
        window = self.between(t0, t1)
        return {g: max((s.lag(g) for s in window), default=0) for g in self.groups}

    def peak_pending(self, t0: float, t1: float) -> dict[str, int]:
        window = self.between(t0, t1)
        return {s: max((x.pending.get(s, 0) for x in window), default=0) for s in SERVICES}

    def published_between(self, t0: float, t1: float) -> dict[str, int]:
        """Rows each service published from the sample nearest before t0 to the sample nearest after t1."""
        before = [s for s in self.samples if s.t <= t0] or self.samples[:1]
        after = [s for s in self.samples if s.t >= t1] or self.samples[-1:]
        if not before or not after:
            return {}
        first, last = before[-1], after[0]
        return {s: last.published.get(s, 0) - first.published.get(s, 0) for s in SERVICES}

    def consumed_between(self, t0: float, t1: float) -> int:
        """Deliveries to every group (applied, duplicate, ignored, ...) between the samples around t0 and t1."""
        before = [s for s in self.samples if s.t <= t0] or self.samples[:1]
        after = [s for s in self.samples if s.t >= t1] or self.samples[-1:]
        if not before or not after:
            return 0
        return sum(after[0].consumed.values()) - sum(before[-1].consumed.values())

    def settled(self, sample: Sample) -> bool:
        return not any(sample.pending.values()) and not any(sample.lag(g) for g in self.groups)

    async def wait_settled(self, since: float, timeout: float) -> float:
        """time.time() of the first sample after `since` showing no outbox backlog and no consumer lag, twice in a
        row (a relay's last batch can be acknowledged a moment before its row count moves)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            recent = [s for s in self.samples if s.t >= since]
            for a, b in zip(recent, recent[1:], strict=False):
                if self.settled(a) and self.settled(b):
                    return a.t
            await asyncio.sleep(self.interval)
        raise TimeoutError(f"the system did not settle within {timeout:.0f} s; last sample {self.samples[-1:]}")

    async def dead_letter_records(self) -> int:
        """Records on every `<service>.dlq` topic (non-zero end offsets are records, whatever Tansu's count)."""
        consumer = AIOKafkaConsumer(bootstrap_servers=self.stack.bootstrap, enable_auto_commit=False)
        await consumer.start()
        try:
            partitions = [TopicPartition(dlq_topic(s), p) for s in SERVICES for p in range(PARTITIONS[dlq_topic(s)])]
            return sum((await consumer.end_offsets(partitions)).values())
        finally:
            await consumer.stop()


def _parse(text: str) -> list[tuple[str, dict[str, str], float]]:
    """The samples of a Prometheus text exposition (no escapes in our label values)."""
    out = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        head, _, value = line.rpartition(" ")
        name, _, rest = head.partition("{")
        labels = dict(part.split("=", 1) for part in rest.rstrip("}").split(",") if "=" in part) if rest else {}
        out.append((name, {k: v.strip('"') for k, v in labels.items()}, float(value)))
    return out
