"""List and replay dead letters: `python -m kit.dlq <service> list | replay [--event-id ID ...] [--all]`.

Reads `<service>.dlq` from the beginning without joining a consumer group (nothing is consumed away). Replay sends the
original record (value, key and original headers) back to its original topic: every consumer group of that topic sees
it again and the inbox of each makes that harmless for the groups that had applied it.
The broker address comes from the service's own settings (`<SERVICE>_KAFKA__BOOTSTRAP_SERVERS`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from pydantic_settings import BaseSettings

from contracts.topics import SERVICES, dlq_topic
from kit.kafka import client_options, headers_dict, headers_list, make_producer
from kit.settings import KafkaSettings, service_config


@dataclass
class DeadLetter:
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: dict[str, str]

    @property
    def event_id(self) -> str:
        return self.headers.get("event_id", "")

    def summary(self) -> dict[str, str]:
        h = self.headers
        return {
            "dlq_offset": f"{self.partition}:{self.offset}",
            "event_id": self.event_id,
            "event_type": h.get("event_type", ""),
            "consumer": h.get("dlq_consumer", ""),
            "original": f"{h.get('dlq_original_topic')}[{h.get('dlq_original_partition')}]@{h.get('dlq_original_offset')}",
            "failed_at": h.get("dlq_failed_at", ""),
            "reason": h.get("dlq_reason", ""),
        }


async def read_all(kafka: KafkaSettings, topic: str) -> list[DeadLetter]:
    consumer = AIOKafkaConsumer(**client_options(kafka, "lontar.dlq-reader"), enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
        if not partitions:
            return []
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        end = await consumer.end_offsets(partitions)
        letters: list[DeadLetter] = []
        while [tp for tp in partitions if await consumer.position(tp) < end[tp]]:
            for tp, records in (await consumer.getmany(timeout_ms=500)).items():
                letters += [DeadLetter(tp.partition, r.offset, r.key, r.value, headers_dict(r.headers))
                            for r in records]
        return letters
    finally:
        await consumer.stop()


async def replay(kafka: KafkaSettings, letters: list[DeadLetter], client_id: str) -> int:
    producer = make_producer(kafka, client_id)
    await producer.start()
    try:
        for letter in letters:
            original = {k: v for k, v in letter.headers.items() if not k.startswith("dlq_")}
            await (await producer.send(letter.headers["dlq_original_topic"], value=letter.value, key=letter.key,
                                       headers=headers_list(original)))
        return len(letters)
    finally:
        await producer.stop()


async def _main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m kit.dlq", description=__doc__.split("\n")[0])
    parser.add_argument("service", choices=SERVICES)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="print every dead letter as a JSON line")
    rp = sub.add_parser("replay", help="send dead letters back to their original topic")
    rp.add_argument("--event-id", action="append", default=[], help="replay only these event ids")
    rp.add_argument("--all", action="store_true", help="replay every dead letter")
    args = parser.parse_args(argv)

    class Settings(BaseSettings):
        model_config = service_config(f"{args.service.upper()}_")
        kafka: KafkaSettings = KafkaSettings()

    kafka = Settings().kafka
    letters = await read_all(kafka, dlq_topic(args.service))
    if args.command == "list":
        for letter in letters:
            print(json.dumps(letter.summary()))
        print(f"{len(letters)} dead letter(s) in {dlq_topic(args.service)}", file=sys.stderr)
        return 0
    if not args.all and not args.event_id:
        parser.error("replay needs --event-id or --all")
    chosen = letters if args.all else [d for d in letters if d.event_id in set(args.event_id)]
    count = await replay(kafka, chosen, f"{args.service}.dlq-replay")
    print(f"replayed {count} dead letter(s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(_main(sys.argv[1:])))
