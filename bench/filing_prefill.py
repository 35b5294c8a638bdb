"""filing's SPT Masa PPN prefill figures (issue 13, Performance): "a taxpayer with 100,000 signed invoices in one
period: the draft SPT Masa PPN read p99 < 50 ms, equal to a full recomputation from the invoice database; filing's
consumer of invoice events >= 2,000 events/s".

- The events (one seller, a PKP company, and one period, March 2026; generated with a fixed seed): 100,000
  `InvoiceSigned` of the seller (99,000 originals and 1,000 faktur pengganti) over a mix of transaction codes (04
  most, then 01 with some PPnBM, 07, 08, 03, 02, 05, 10, 06, 09); 60% of the buyers PKP with a TIN (2,000 of them),
  the rest without (NIK). 1,000 `InvoiceReplaced`, 500 `InvoiceCancelled`; 3,000 `InputTaxCredited` by buyers on
  the seller's invoices and 400 `ReturnIssued` against them (a tenth in April). The seller's own purchases: 1,000
  invoices of 100 suppliers, 900 credited by the seller (a tenth in April), 50 rejected, 27 nota retur issued as
  buyer (some before the credit), 9 purchases cancelled by their supplier after the credit: 106,886 events in all
  (`--invoices` scales them), 102,477 on the seller's partition. Published as invoice publishes them
  (kit.testing.events envelopes, `sequence` 0): keyed by the seller, nota retur and input-tax decisions by the
  buyer, on a topic with `invoice.events`' 12 partitions, on an embedded Tansu broker (memory storage) started here
  (`LONTAR_TEST_KAFKA_BOOTSTRAP` honoured); PostgreSQL durable (fsync on), as bench.services runs it.
- Consumer: filing's own `invoice_handlers()` in kit's `EventConsumer`, wired as `kit.worker` wires it for the
  worker (group `filing.invoice-events`, filing's consumer and broker settings, max_batch 500), against a fresh
  filing database migrated with kit.migrations.upgrade, in this process. Timed from the first fetch after the group
  join (its batch included) until every event is applied; the join is reported apart. Checked afterwards: one inbox
  row per event, nothing dead-lettered.
- Floors, in the same run: the broker's consume rate of the same records (a fresh group, `kit.kafka.make_consumer`,
  getmany 500, one offset commit per batch, no handler); and raw INSERTs of the same number of rows the consumer
  must write at least (one inbox row and one `ppn_invoice` row per event, into copies of those tables with their
  keys: `CREATE TABLE ... (LIKE ... INCLUDING ALL)`), one multi-row INSERT per table and one commit per 500 events
  (measured after the reads, so that the autovacuum its rows set off does not run beside them).
- Read: `GET /v1/returns/spt-masa-ppn/2026-03?npwp=` through filing's ASGI app in this process (httpx
  ASGITransport: routing, token, the use case and its transaction), after the taxpayer set other input tax and a
  compensation on the draft (`PUT .../draft`): 50 warm-up reads, then 500 reads one after another: p50, p99, max.
- Equality: the draft's every figure (per transaction code: invoices, nota retur, DPP, DPP nilai lain, PPN, PPnBM,
  returned and net amounts; input: credited invoices and PPN, returns, other, creditable; PPN owed, collected by
  collectors, not collected, exempt, PPnBM, compensation, balance, outcome, amount due, overpayment) against a full
  recomputation straight from the generated events, in Python, written here by the rules of filing's README and not
  with filing's code: an invoice counts while it stands (neither cancelled nor replaced); a nota retur against a
  standing invoice reduces the seller's output in the return's period and, when the buyer credited the invoice,
  the buyer's input; a credit counts in the buyer's period of the decision; PPN owed is the net PPN of codes 01,
  04, 05, 06, 09, 10; 02/03 collected by collectors, 07 not collected, 08 exempt; balance = owed - (credited -
  returned + other) - compensation. And the same recomputed in SQL over filing's per-invoice rows (`ppn_invoice`,
  `ppn_return`, `ppn_input_credit`), timed: what a read would cost if it were a pass over the invoices.

`await run(server_url=None)` returns rows {name, value, unit, target, ok};
`.venv/bin/python -m bench.filing_prefill [--invoices N] [server_url]` prints them.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bench.infra import drop_databases
from bench.machine import CpuMeter
from contracts.invoice import InputTaxCredited, InvoiceCancelled, InvoiceReplaced, InvoiceSigned, ReturnIssued
from contracts.registry import Contract
from contracts.topics import TOPICS, events_topic
from devstack.broker import EmbeddedBroker
from devstack.postgres import EmbeddedPostgres, ensure_databases
from devstack.processes import free_port
from filing.main import create_app
from filing.returns.handlers import invoice_handlers
from filing.settings import FilingSettings
from kit.app import freeze_startup_heap
from kit.auth import JWKSCache
from kit.clock import FixedClock
from kit.consumer import EventConsumer
from kit.db import create_engine, create_sessionmaker
from kit.kafka import create_topics, make_consumer, make_producer
from kit.metrics import CONSUMED
from kit.migrations import upgrade
from kit.settings import DatabaseSettings, KafkaSettings
from kit.testing.events import encode, envelope_for, record_headers
from kit.testing.service import api_client
from kit.testing.tokens import TokenMaker

TARGET_RATE, TARGET_P99_MS = 2000.0, 50.0
INVOICES = 100_000
READS, WARMUP = 500, 50
BATCH = 500  # the consumer's max_batch (kit's default, as the worker runs it)
TODAY = date(2026, 4, 15)
PERIOD, NEXT = "2026-03", "2026-04"
SELLER = "0213456789012000"
GROUP = "filing.invoice-events"
OTHER_INPUT, COMPENSATION = Decimal(2_500_000), Decimal(1_000_000)
MAKER = TokenMaker()

# transaction code -> weight (%): 04 (DPP nilai lain) is the norm since PMK-131/2024; 01 carries luxury goods
CODE_MIX = {"04": 55, "01": 14, "07": 8, "08": 6, "03": 6, "02": 4, "05": 3, "10": 2, "06": 1, "09": 1}
SELF_COLLECTED = {"01", "04", "05", "06", "09", "10"}
BY_COLLECTORS, NOT_COLLECTED, EXEMPT = {"02", "03"}, {"07"}, {"08"}
_ZERO = Decimal(0)


def _row(name: str, value: float | None, unit: str, target: tuple[str, float] | None = None,
         ok: bool | None = None) -> dict[str, Any]:
    if target is not None and value is not None and ok is None:
        ok = value >= target[1] if target[0] == ">=" else value < target[1]
    shown = None if target is None else f"{target[0]} {target[1]:,g}"
    return {"name": f"filing: {name}", "value": value, "unit": unit, "target": shown, "ok": ok}


def _progress(message: str) -> None:
    print(f"  filing prefill: {message}", file=sys.stderr, flush=True)


# -- the events ----------------------------------------------------------------------------------------------------
def _whole(value: Decimal) -> Decimal:
    return value.quantize(Decimal(1), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Amounts:
    dpp: Decimal
    dpp_other: Decimal
    ppn: Decimal
    ppnbm: Decimal

    def part(self, share: Decimal) -> Amounts:
        return Amounts(*(_whole(v * share) for v in (self.dpp, self.dpp_other, self.ppn, self.ppnbm)))


def _amounts(rng: random.Random, code: str) -> Amounts:
    """A faktur's figures by its code (PMK-131/2024: 12% of DPP nilai lain = 11/12 of the price; luxury goods 12% of
    the price, with PPnBM; besaran tertentu a fixed share), whole rupiah, half-up (PER-11/PJ/2025 Art 129)."""
    dpp = Decimal(int(rng.lognormvariate(16.0, 1.6)) + 10_000)  # median ~ Rp9 million, a long tail
    if code == "01":
        ppnbm = _whole(dpp * Decimal("0.20")) if rng.random() < 0.15 else _ZERO
        return Amounts(dpp, dpp, _whole(dpp * Decimal("0.12")), ppnbm)
    if code == "05":
        return Amounts(dpp, dpp, _whole(dpp * Decimal("0.011")), _ZERO)
    other = _whole(dpp * 11 / 12)
    return Amounts(dpp, other, _whole(other * Decimal("0.12")), _ZERO)


@dataclass
class Scenario:
    """The events in the order invoice would publish them, each with its partition key."""

    seller: str
    events: list[tuple[str, Contract]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def generate(invoices: int = INVOICES, seed: int = 20260315) -> Scenario:
    rng = random.Random(seed)
    uuid_rng = random.Random(seed + 1)

    def new_id() -> str:
        return str(uuid.UUID(int=uuid_rng.getrandbits(128), version=4))

    def npwp(prefix: str, i: int) -> str:
        return f"{prefix}{i:0{16 - len(prefix)}d}"

    buyers = [npwp("08", i) for i in range(1, 2001)]
    suppliers = [npwp("07", i) for i in range(1, 101)]
    codes, weights = list(CODE_MIX), list(CODE_MIX.values())
    signed_at = datetime(2026, 3, 31, 9, tzinfo=UTC)
    timeline: list[tuple[float, str, Contract]] = []
    serial = iter(range(2_600_000_000_001, 10**13))

    def sign(seller: str, buyer: str | None, code: str, amounts: Amounts, day: int, status: int = 0,
             number: int | None = None) -> InvoiceSigned:
        number = next(serial) if number is None else number
        return InvoiceSigned(
            invoice_id=new_id(), nsfp=f"{code}{status:02d}{number:013d}", seller_npwp=seller,
            seller_nitku=seller + "000000", buyer_npwp=buyer, buyer_document="TIN" if buyer else "NIK",
            invoice_date=date(2026, 3, day), period=PERIOD, transaction_code=code, reference=None,
            dpp=str(amounts.dpp), dpp_other=str(amounts.dpp_other), ppn=str(amounts.ppn), ppnbm=str(amounts.ppnbm),
            signed_at=signed_at, certificate_serial="bench-certificate")

    def amounts_of(e: InvoiceSigned) -> Amounts:
        return Amounts(Decimal(e.dpp), Decimal(e.dpp_other), Decimal(e.ppn), Decimal(e.ppnbm))

    def cancel(e: InvoiceSigned) -> InvoiceCancelled:
        return InvoiceCancelled(invoice_id=e.invoice_id, nsfp=e.nsfp, seller_npwp=e.seller_npwp,
                                buyer_npwp=e.buyer_npwp, invoice_date=e.invoice_date, period=e.period, dpp=e.dpp,
                                ppn=e.ppn, ppnbm=e.ppnbm, reason="transaksi batal", cancelled_at=signed_at)

    def credit(e: InvoiceSigned, period: str, action: str = "credit") -> InputTaxCredited:
        assert e.buyer_npwp is not None
        return InputTaxCredited(invoice_id=e.invoice_id, nsfp=e.nsfp, seller_npwp=e.seller_npwp,
                                buyer_npwp=e.buyer_npwp, action=action, period=period, invoice_period=e.period,
                                ppn=e.ppn, ppnbm=e.ppnbm, decided_at=signed_at)

    def nota_retur(e: InvoiceSigned, period: str) -> ReturnIssued:
        assert e.buyer_npwp is not None
        part = amounts_of(e).part(Decimal(rng.choice(("0.1", "0.25", "0.5", "1"))))
        return ReturnIssued(return_id=new_id(), number=f"NR-{rng.randrange(10**6):06d}", invoice_id=e.invoice_id,
                            nsfp=e.nsfp, seller_npwp=e.seller_npwp, buyer_npwp=e.buyer_npwp,
                            return_date=date(int(period[:4]), int(period[5:]), 5), period=period,
                            dpp=str(part.dpp), dpp_other=str(part.dpp_other), ppn=str(part.ppn),
                            ppnbm=str(part.ppnbm))

    # the seller's sales: originals, in signing order
    originals = invoices - invoices // 100
    sales: list[InvoiceSigned] = []
    for i in range(originals):
        code = rng.choices(codes, weights)[0]
        buyer = rng.choice(buyers) if rng.random() < 0.6 else None
        e = sign(SELLER, buyer, code, _amounts(rng, code), day=1 + i * 31 // originals)
        sales.append(e)
        timeline.append((float(i), SELLER, e))
    picked = rng.sample(range(originals), invoices // 100 + invoices // 200)
    for i in picked[: invoices // 100]:  # faktur pengganti: same serial, status code + 1, new figures
        old = sales[i]
        new_figures = amounts_of(old).part(Decimal(rng.choice(("0.9", "0.95", "1.05", "1.1"))))
        new = sign(SELLER, old.buyer_npwp, old.transaction_code, new_figures, day=old.invoice_date.day,
                   status=1, number=int(old.nsfp[4:]))
        at = i + rng.uniform(1, 3000)
        timeline.append((at, SELLER, InvoiceReplaced(
            invoice_id=old.invoice_id, nsfp=old.nsfp, replacement_invoice_id=new.invoice_id,
            replacement_nsfp=new.nsfp, status_code=1, seller_npwp=SELLER, buyer_npwp=old.buyer_npwp,
            period=old.period, replacement_period=new.period, dpp=old.dpp, ppn=old.ppn, ppnbm=old.ppnbm,
            replacement_dpp=new.dpp, replacement_ppn=new.ppn, replacement_ppnbm=new.ppnbm, replaced_at=signed_at)))
        timeline.append((at + 0.5, SELLER, new))
    for i in picked[invoices // 100:]:
        timeline.append((i + rng.uniform(1, 3000), SELLER, cancel(sales[i])))
    with_tin = [i for i in range(originals) if sales[i].buyer_npwp]
    for i in rng.sample(with_tin, min(len(with_tin), invoices * 3 // 100)):  # buyers crediting their input tax
        timeline.append((i + rng.uniform(1, 5000), sales[i].buyer_npwp, credit(sales[i], PERIOD)))  # type: ignore[arg-type]
    for i in rng.sample(with_tin, min(len(with_tin), invoices * 4 // 1000)):  # nota retur against the seller
        period = NEXT if rng.random() < 0.1 else PERIOD
        timeline.append((i + rng.uniform(1, 5000), sales[i].buyer_npwp, nota_retur(sales[i], period)))  # type: ignore[arg-type]

    # the seller's purchases (its input tax)
    purchases = max(1, invoices // 100)
    for j in range(purchases):
        supplier = rng.choice(suppliers)
        code = rng.choices(["04", "01", "05"], [85, 10, 5])[0]
        e = sign(supplier, SELLER, code, _amounts(rng, code), day=1 + j * 31 // purchases)
        at = rng.uniform(0, originals)
        timeline.append((at, supplier, e))
        decided = at + rng.uniform(1, 5000)
        roll = j % 20  # 18 in 20 credited (2 of them in April), 1 rejected, 1 left undecided
        if roll < 18:
            timeline.append((decided, SELLER, credit(e, NEXT if roll < 2 else PERIOD)))
            if j % 33 == 0:  # a nota retur as buyer: some before the credit, some after
                timeline.append((decided + rng.uniform(-50, 50), SELLER, nota_retur(e, PERIOD)))
            if j % 97 == 5:  # the supplier cancels it after the credit: the credit and the retur stop counting
                timeline.append((decided + 100, supplier, cancel(e)))
        elif roll == 18:
            timeline.append((decided, SELLER, credit(e, PERIOD, action="reject")))
    timeline.sort(key=lambda t: t[0])
    scenario = Scenario(SELLER, [(key, event) for _, key, event in timeline])
    for _, event in scenario.events:
        scenario.counts[event.type] = scenario.counts.get(event.type, 0) + 1
    return scenario


# -- the recomputation from the events (independent of filing's code) ----------------------------------------------
def recompute(scenario: Scenario, npwp: str, period: str, *, other_input: Decimal,
              compensation: Decimal) -> dict[str, Any]:
    """The SPT Masa PPN of `npwp` for `period` from the events alone, as the draft shows it (amounts as strings of
    whole rupiah)."""
    invoices: dict[str, InvoiceSigned] = {}
    void: set[str] = set()
    returns: list[ReturnIssued] = []
    decisions: dict[str, InputTaxCredited] = {}
    for _, e in scenario.events:
        if isinstance(e, InvoiceSigned):
            invoices.setdefault(e.invoice_id, e)
        elif isinstance(e, InvoiceCancelled | InvoiceReplaced):
            void.add(e.invoice_id)
        elif isinstance(e, ReturnIssued):
            returns.append(e)
        elif isinstance(e, InputTaxCredited):
            decisions.setdefault(e.invoice_id, e)  # one decision per invoice

    fields = ("dpp", "dpp_other", "ppn", "ppnbm")
    out: dict[str, dict[str, Any]] = defaultdict(lambda: {"invoices": 0, "returns": 0,
                                                          **{f: _ZERO for f in fields},
                                                          **{f"returned_{f}": _ZERO for f in fields}})
    for e in invoices.values():
        if e.seller_npwp == npwp and e.period == period and e.invoice_id not in void:
            row = out[e.transaction_code]
            row["invoices"] += 1
            for f in fields:
                row[f] += Decimal(getattr(e, f))
    credited = {i for i, d in decisions.items() if d.action == "credit" and i not in void}
    input_credited = [d for i, d in decisions.items() if i in credited and d.buyer_npwp == npwp and d.period == period]
    input_returns = _ZERO
    input_return_count = 0
    for r in returns:
        if r.invoice_id in void or r.period != period:
            continue
        if r.seller_npwp == npwp:
            row = out[r.nsfp[:2]]
            row["returns"] += 1
            for f in fields:
                row[f"returned_{f}"] += Decimal(getattr(r, f))
        if r.buyer_npwp == npwp and r.invoice_id in credited:
            input_return_count += 1
            input_returns += Decimal(r.ppn)

    net = {code: {f: _whole(row[f]) - _whole(row[f"returned_{f}"]) for f in fields} for code, row in out.items()}

    def ppn_of(codes: set[str]) -> Decimal:
        return sum((n["ppn"] for c, n in net.items() if c in codes), _ZERO)

    owed = ppn_of(SELF_COLLECTED)
    credited_ppn = sum((Decimal(d.ppn) for d in input_credited), _ZERO)
    creditable = _whole(credited_ppn) - _whole(input_returns) + _whole(other_input)
    balance = owed - creditable - _whole(compensation)
    return {
        "output": [{"transaction_code": code, "invoices": row["invoices"], "returns": row["returns"],
                    **{f: row[f] for f in fields}, **{f"returned_{f}": row[f"returned_{f}"] for f in fields},
                    **{f"net_{f}": net[code][f] for f in fields}} for code, row in sorted(out.items())],
        "input": {"credited_invoices": len(input_credited), "credited_ppn": credited_ppn,
                  "returns": input_return_count, "returned_ppn": input_returns, "other_input_ppn": other_input,
                  "creditable_ppn": creditable},
        "output_ppn_owed": owed, "output_ppn_collected_by_collectors": ppn_of(BY_COLLECTORS),
        "output_ppn_not_collected": ppn_of(NOT_COLLECTED), "output_ppn_exempt": ppn_of(EXEMPT),
        "ppnbm_owed": sum((n["ppnbm"] for c, n in net.items() if c in SELF_COLLECTED), _ZERO),
        "compensation": compensation, "balance": balance,
        "outcome": "kurang_bayar" if balance > 0 else "lebih_bayar" if balance < 0 else "nihil",
        "amount_due": max(balance, _ZERO), "overpayment": max(-balance, _ZERO),
    }


def differences(expected: Any, got: Any, path: str = "") -> list[str]:
    """Every figure that differs (numbers compared as decimals: the API writes amounts as strings)."""
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return [f"{path}: expected an object, got {got!r}"]
        return [d for k, v in expected.items() for d in differences(v, got.get(k), f"{path}/{k}")]
    if isinstance(expected, list):
        if not isinstance(got, list) or len(got) != len(expected):
            return [f"{path}: expected {len(expected)} items, got {got!r:.200}"]
        return [d for i, (e, g) in enumerate(zip(expected, got, strict=True)) for d in differences(e, g, f"{path}/{i}")]
    if isinstance(expected, Decimal | int) and not isinstance(expected, bool):
        try:
            same = got is not None and Decimal(str(got)) == Decimal(expected)
        except ArithmeticError:
            same = False
        return [] if same else [f"{path}: expected {expected}, got {got!r}"]
    return [] if expected == got else [f"{path}: expected {expected!r}, got {got!r}"]


# -- the run -------------------------------------------------------------------------------------------------------
async def run(server_url: str | None = None, *, invoices: int = INVOICES) -> list[dict[str, Any]]:
    workdir = Path(tempfile.mkdtemp(prefix="lontar-bench-filing-prefill-"))
    postgres = broker = None
    server_url = server_url or os.environ.get("LONTAR_TEST_DATABASE_URL")
    bootstrap = os.environ.get("LONTAR_TEST_KAFKA_BOOTSTRAP")
    database = f"bench_filprefill_{uuid.uuid4().hex[:8]}"
    try:
        if not server_url:
            postgres = EmbeddedPostgres(workdir / "postgres", port=free_port(), durable=True)
            await asyncio.to_thread(postgres.start)
            server_url = postgres.url()
        if not bootstrap:
            broker = EmbeddedBroker(port=free_port(), log_path=workdir / "broker.log")
            await asyncio.to_thread(broker.start)
            bootstrap = broker.bootstrap
        await ensure_databases(server_url, [database])
        url = f"{server_url.rpartition('/')[0]}/{database}"
        await asyncio.to_thread(upgrade, "filing", url)  # Alembic runs its own loop: keep it off this one
        settings = FilingSettings(database=DatabaseSettings(dsn=url, pool_size=5),
                                  kafka=KafkaSettings(bootstrap_servers=bootstrap, enable_idempotence=False),
                                  worker_port=free_port(), log_level="WARNING")
        return await _measure(settings, invoices, broker.proc.pid if broker and broker.proc else None)
    finally:
        if broker is not None:
            await asyncio.to_thread(broker.stop)
        if postgres is not None:
            await asyncio.to_thread(postgres.stop)
        elif server_url:
            await drop_databases(server_url, [database])
        shutil.rmtree(workdir, ignore_errors=True)


async def _measure(settings: FilingSettings, invoices: int, broker_pid: int | None) -> list[dict[str, Any]]:
    load_before = os.getloadavg()[0]
    _progress(f"generating the events ({invoices:,} InvoiceSigned of one seller and the rest)")
    scenario = generate(invoices)
    records = []
    for key, event in scenario.events:
        envelope = envelope_for(event, key=key, sequence=0)
        records.append((key.encode(), encode(envelope), record_headers(envelope)))
    n = len(records)
    freeze_startup_heap()  # as the worker's lifespan does once started: the events built here are not its heap
    partitions = next(t.partitions for t in TOPICS if t.name == events_topic("invoice"))
    topic = f"{events_topic('invoice')}.bench-{uuid.uuid4().hex[:8]}"
    await create_topics(settings.kafka.bootstrap_servers, [(topic, partitions)])
    _progress(f"producing {n:,} records to {topic} ({partitions} partitions)")
    produce_s = await _produce(settings, topic, records)

    engine = create_engine(settings.database, application_name="bench.filing_prefill", pool_size=5)
    sessions = create_sessionmaker(engine)
    try:
        await _seed_seller(sessions)
        _progress("floor: the broker's consume rate of the same records, no handler")
        raw_consume = await _raw_consume(settings, topic, n)
        _progress(f"filing's invoice-events consumer applying {n:,} events")
        consumer = await _consume(settings, engine, sessions, topic, n, broker_pid)
        inbox = await _scalar(sessions, "SELECT count(*) FROM inbox WHERE consumer = :c", c=GROUP)
        _progress(f"reads: {WARMUP} warm-up, then {READS}")
        body, latencies, read_cost = await _reads(settings)
        # after the reads: the autovacuum its 200,000 rows set off would otherwise run beside them
        _progress("floor: raw INSERTs of the rows the consumer writes at least")
        raw_insert_s = await _raw_inserts(sessions, n)
        _progress("recomputations: from the events (Python) and over filing's per-invoice rows (SQL)")
        expected = recompute(scenario, SELLER, PERIOD, other_input=OTHER_INPUT, compensation=COMPENSATION)
        diffs = differences(expected, body)
        sql_figures, sql_ms = await _sql_recompute(sessions)
        sql_diffs = differences({k: expected[k] for k in ("output", "input")}, sql_figures)
    finally:
        await engine.dispose()
    for d in (diffs + sql_diffs)[:20]:
        _progress(f"DIFFERENCE {d}")

    rate = n / consumer["seconds"]
    p50 = statistics.median(latencies)
    p99 = statistics.quantiles(latencies, n=100)[98]
    standing = sum(row["invoices"] for row in expected["output"])
    counts = ", ".join(f"{count:,} {kind}" for kind, count in sorted(scenario.counts.items()))
    return [
        _row(f"invoice-events consumer: {n:,} events ({counts}) applied/s, after group join", round(rate),
             "events/s", (">=", TARGET_RATE)),
        _row("  group join before the first fetch (not in the rate)", round(consumer["join_s"], 2), "s"),
        _row(f"  consumer transactions while timed ({n / max(consumer['batches'], 1):.0f} events each)",
             consumer["batches"], "txns"),
        _row("  SQL statements per event in the consumer's transactions (inbox claim included)",
             round(consumer["statements"] / n, 3), "stmt/event"),
        _row("  time per consumer transaction (BEGIN to connection back in the pool, COMMIT included)",
             round(1000 * consumer["txn_s"] / max(consumer["batches"], 1), 1), "ms"),
        _row("    of which waiting for SQL statements (COMMIT not included)",
             round(1000 * consumer["statement_s"] / max(consumer["batches"], 1), 1), "ms"),
        _row("  wall time per fetch (decode, transaction, offset commit, next fetch)",
             round(1000 * consumer["seconds"] / max(consumer["batches"], 1), 1), "ms"),
        _row("  this process CPU while consuming (consumer; the database and broker apart)",
             round(consumer["cpu"], 0), "% core"),
        _row("  machine CPU busy while consuming", round(consumer["machine"], 0), "% of all"),
        _row(f"floor: broker consume rate of the same {n:,} records, no handler", round(raw_consume), "events/s"),
        _row("  consumer / broker floor", round(100 * rate / raw_consume, 1), "%"),
        _row(f"floor: raw INSERT of {n:,} inbox + {n:,} ppn_invoice rows, {BATCH} per transaction",
             round(n / raw_insert_s), "events/s"),
        _row("  consumer / raw INSERT floor", round(100 * rate / (n / raw_insert_s), 1), "%"),
        _row("  producing the records (acks=all; not in the rate)", round(n / produce_s), "records/s"),
        _row(f"draft SPT Masa PPN read p99 ({READS} reads after {WARMUP}; {standing:,} standing invoices)",
             round(p99 * 1000, 2), "ms", ("<", TARGET_P99_MS)),
        _row("  draft read p50", round(p50 * 1000, 2), "ms"),
        _row("  draft read max", round(max(latencies) * 1000, 2), "ms"),
        _row(f"  per read: this process's CPU (app and client; {read_cost['statements']:.0f} SQL statements, "
             f"{read_cost['statement_ms']:.1f} ms waiting for them)", round(read_cost["cpu_ms"], 2), "ms"),
        _row("draft vs full recomputation from the events (Python): figures that differ", len(diffs), "figures",
             ("<", 1)),
        _row("events not in the inbox or dead-lettered", int(abs(inbox - n) + consumer["dead_lettered"]), "events",
             ("<", 1)),
        _row("  full recomputation in SQL over filing's per-invoice rows: time (what a read would cost)",
             round(sql_ms, 1), "ms"),
        _row("  the SQL recomputation vs the events': figures that differ", len(sql_diffs), "figures", ("<", 1)),
        _row(f"machine load average (1 min) before the prefill suite (after: {os.getloadavg()[0]:.2f})",
             round(load_before, 2), "load"),
    ]


async def _produce(settings: FilingSettings, topic: str, records: list[tuple[bytes, bytes, Any]]) -> float:
    producer = make_producer(settings.kafka, "bench.filing_prefill")
    await producer.start()
    try:
        await producer.partitions_for(topic)
        started = time.perf_counter()
        acks = [await producer.send(topic, key=k, value=v, headers=h) for k, v, h in records]
        await asyncio.gather(*acks)
        return time.perf_counter() - started
    finally:
        await producer.stop()


async def _raw_consume(settings: FilingSettings, topic: str, n: int) -> float:
    consumer = make_consumer(settings.kafka, "bench.filing_prefill.raw",
                             group_id=f"bench.raw.{uuid.uuid4().hex[:8]}", max_records=BATCH)
    await consumer.start()
    try:
        consumer.subscribe([topic])
        got, first = 0, 0.0
        deadline = time.perf_counter() + 300
        while got < n:
            if time.perf_counter() > deadline:
                raise TimeoutError(f"raw consumer read {got} of {n}")
            batch = await consumer.getmany(timeout_ms=200, max_records=BATCH)
            if not batch:
                continue
            first = first or time.perf_counter()
            got += sum(len(records) for records in batch.values())
            await consumer.commit()
        return n / (time.perf_counter() - first)
    finally:
        await consumer.stop()


async def _consume(settings: FilingSettings, engine: Any, sessions: Any, topic: str, n: int,
                   broker_pid: int | None) -> dict[str, float]:
    """filing's invoice-events consumer as kit.worker runs it, until every event is applied."""
    applied = CONSUMED.labels(GROUP, "applied")
    dead = CONSUMED.labels(GROUP, "dead_lettered")
    before, dead_before = applied._value.get(), dead._value.get()
    dlq = make_producer(settings.kafka, "filing.dlq")
    await dlq.start()
    consumer = EventConsumer(
        group=GROUP, topics=[topic], handlers=invoice_handlers(), sessions=sessions,
        consumer_factory=lambda group: make_consumer(settings.kafka, group, group_id=group,
                                                     max_records=settings.consumer.max_batch),
        dlq_producer=dlq, dlq_topic=f"{topic}.dlq", settings=settings.consumer)
    transactions = _TransactionCounter(engine)
    stop = asyncio.Event()
    started = time.perf_counter()
    task = asyncio.create_task(consumer.run(stop), name="filing.invoice-events")
    first = 0.0
    cpu = CpuMeter(broker_pid)
    try:
        deadline = started + 900
        while applied._value.get() - before < n:
            if task.done():
                task.result()
                raise RuntimeError("the consumer stopped")
            if not first and consumer.assigned:  # set once the first fetch after the join returned
                first = time.perf_counter()
                cpu.start()
                transactions.reset()
            if time.perf_counter() > deadline:
                raise TimeoutError(f"{applied._value.get() - before:,.0f} of {n:,} events applied")
            await asyncio.sleep(0.005)
        last = time.perf_counter()
        if not first:  # done within one poll of the assignment
            first = started
            cpu.start()
        proc_cpu, machine_cpu = cpu.stop()
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
        await dlq.stop()
        transactions.close()
    return {"seconds": last - first, "join_s": first - started, "cpu": proc_cpu, "machine": machine_cpu,
            "batches": transactions.count, "statements": transactions.statements,
            "txn_s": transactions.seconds, "statement_s": transactions.statement_seconds, "dead_lettered": dead._value.get() - dead_before}


class _TransactionCounter:
    """The consumer's database transactions, through SQLAlchemy's public engine and pool events (as
    bench.eventbus.TxnStats): how many, their time (BEGIN until the connection is back in the pool, COMMIT
    included), and their statements and the time spent waiting for them."""

    def __init__(self, engine: Any) -> None:
        from sqlalchemy import event

        self._event = event
        self._sync = engine.sync_engine
        self._open: dict[int, float] = {}
        self._started: dict[int, float] = {}
        self.reset()
        self._listeners = [(self._sync, "begin", self._begin),
                           (self._sync, "before_cursor_execute", self._before),
                           (self._sync, "after_cursor_execute", self._after),
                           (self._sync.pool, "checkin", self._checkin)]
        for target, name, fn in self._listeners:
            event.listen(target, name, fn)

    def reset(self) -> None:
        self.count = self.statements = 0
        self.seconds = self.statement_seconds = 0.0

    def _begin(self, conn: Any) -> None:
        self._open[id(conn.connection.dbapi_connection)] = time.perf_counter()

    def _before(self, conn: Any, *_: Any) -> None:
        self.statements += 1
        self._started[id(conn)] = time.perf_counter()

    def _after(self, conn: Any, *_: Any) -> None:
        began = self._started.pop(id(conn), None)
        if began is not None:
            self.statement_seconds += time.perf_counter() - began

    def _checkin(self, dbapi_connection: Any, _record: Any) -> None:
        began = self._open.pop(id(dbapi_connection), None)
        if began is not None:
            self.count += 1
            self.seconds += time.perf_counter() - began

    def close(self) -> None:
        for target, name, fn in self._listeners:
            self._event.remove(target, name, fn)


async def _seed_seller(sessions: Any) -> None:
    """The replica rows identity's events would have made: the seller, PKP since January 2025."""
    async with sessions() as s, s.begin():
        await s.execute(text(
            "INSERT INTO taxpayer (npwp, taxpayer_id, nitku, name, kind, registered_at, source_sequence) "
            "VALUES (:n, 'tp-bench-seller', :n || '000000', 'PT Bench Penjual', 'company', "
            "'2024-01-10T03:00:00Z', 1)"), {"n": SELLER})
        await s.execute(text(
            "INSERT INTO pkp_status_change (taxpayer_id, source_sequence, effective_date, is_pkp, npwp, event_id) "
            "VALUES ('tp-bench-seller', 2, DATE '2025-01-01', true, :n, gen_random_uuid())"), {"n": SELLER})


async def _raw_inserts(sessions: Any, n: int) -> float:
    """Seconds to write one inbox row and one ppn_invoice row per event, BATCH events per transaction (a multi-row
    INSERT per table), into copies of the two tables with their keys."""
    async with sessions() as s, s.begin():
        await s.execute(text("CREATE TABLE floor_inbox (LIKE inbox INCLUDING ALL)"))
        await s.execute(text("CREATE TABLE floor_invoice (LIKE ppn_invoice INCLUDING ALL)"))
    started = time.perf_counter()
    for at in range(0, n, BATCH):
        size = min(BATCH, n - at)
        ids = [uuid.uuid4() for _ in range(size)]
        async with sessions() as s, s.begin():
            await s.execute(text(
                'INSERT INTO floor_inbox (consumer, event_id, event_type, topic, partition, "offset") '
                "SELECT 'floor', e, 'InvoiceSigned', 'invoice.events', 0, o "
                "FROM unnest(CAST(:ids AS uuid[]), CAST(:offsets AS bigint[])) AS t(e, o)"),
                {"ids": ids, "offsets": list(range(at, at + size))})
            await s.execute(text(
                "INSERT INTO floor_invoice (invoice_id, state, seller_npwp, buyer_npwp, transaction_code, period, "
                "dpp, dpp_other, ppn, ppnbm) SELECT i, 'signed', :s, NULL, '04', :p, d, d * 11 / 12, d * 0.11, 0 "
                "FROM unnest(CAST(:ids AS text[]), CAST(:dpp AS numeric[])) AS t(i, d)"),
                {"ids": [str(i) for i in ids], "s": SELLER, "p": PERIOD,
                 "dpp": [Decimal(1_000_000 + i) for i in range(size)]})
    return time.perf_counter() - started


async def _reads(settings: FilingSettings) -> tuple[dict[str, Any], list[float], dict[str, float]]:
    account = str(uuid.uuid4())
    token = MAKER.make(subject=account, scopes=["filing:read", "filing:draft"], taxpayer_ids=[SELLER],
                       act={"sub": account, "name": "Bench"})
    headers = {"authorization": f"Bearer {token}"}
    app = create_app(settings, jwks=JWKSCache(settings.auth, keys=MAKER.jwks()), clock=FixedClock(TODAY))
    path = f"/v1/returns/spt-masa-ppn/{PERIOD}?npwp={SELLER}"
    async with api_client(app) as http:
        r = await http.put(f"/v1/returns/spt-masa-ppn/{PERIOD}/draft?npwp={SELLER}",
                           headers={**headers, "idempotency-key": uuid.uuid4().hex},
                           json={"other_input_ppn": str(OTHER_INPUT), "compensation": str(COMPENSATION)})
        if r.status_code != 200:
            raise RuntimeError(f"draft not set: {r.status_code} {r.text[:300]}")
        for _ in range(WARMUP):
            (await http.get(path, headers=headers)).raise_for_status()
        latencies = []
        statements = _Statements()
        cpu = time.process_time()
        try:
            for _ in range(READS):
                started = time.perf_counter()
                r = await http.get(path, headers=headers)
                latencies.append(time.perf_counter() - started)
                r.raise_for_status()
        finally:
            statements.close()
        cpu_ms = (time.process_time() - cpu) * 1000 / READS
    return r.json(), latencies, {"cpu_ms": cpu_ms, "statements": statements.count / READS,
                                 "statement_ms": statements.seconds * 1000 / READS}


class _Statements:
    """Statements run by any engine of this process, and the time waited for them (SQLAlchemy's public events)."""

    def __init__(self) -> None:
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        self._event, self._target = event, Engine
        self.count, self.seconds = 0, 0.0
        self._started: dict[int, float] = {}
        event.listen(Engine, "before_cursor_execute", self._before)
        event.listen(Engine, "after_cursor_execute", self._after)

    def _before(self, conn: Any, *_: Any) -> None:
        self.count += 1
        self._started[id(conn)] = time.perf_counter()

    def _after(self, conn: Any, *_: Any) -> None:
        began = self._started.pop(id(conn), None)
        if began is not None:
            self.seconds += time.perf_counter() - began

    def close(self) -> None:
        self._event.remove(self._target, "before_cursor_execute", self._before)
        self._event.remove(self._target, "after_cursor_execute", self._after)


async def _sql_recompute(sessions: Any) -> tuple[dict[str, Any], float]:
    """The output and input figures in one pass over filing's per-invoice rows (no aggregate tables)."""
    started = time.perf_counter()
    async with sessions() as s:
        output = (await s.execute(text("""
            WITH inv AS (
                SELECT transaction_code AS code, count(*) AS invoices, sum(dpp) AS dpp, sum(dpp_other) AS dpp_other,
                       sum(ppn) AS ppn, sum(ppnbm) AS ppnbm
                FROM ppn_invoice WHERE seller_npwp = :n AND period = :p AND state = 'signed' GROUP BY 1),
            ret AS (
                SELECT r.transaction_code AS code, count(*) AS returns, sum(r.dpp) AS dpp,
                       sum(r.dpp_other) AS dpp_other, sum(r.ppn) AS ppn, sum(r.ppnbm) AS ppnbm
                FROM ppn_return r JOIN ppn_invoice i USING (invoice_id)
                WHERE r.seller_npwp = :n AND r.period = :p AND i.state NOT IN ('cancelled', 'replaced') GROUP BY 1)
            SELECT coalesce(inv.code, ret.code) AS code, coalesce(inv.invoices, 0) AS invoices,
                   coalesce(ret.returns, 0) AS returns, coalesce(inv.dpp, 0) AS dpp,
                   coalesce(inv.dpp_other, 0) AS dpp_other, coalesce(inv.ppn, 0) AS ppn,
                   coalesce(inv.ppnbm, 0) AS ppnbm, coalesce(ret.dpp, 0) AS r_dpp,
                   coalesce(ret.dpp_other, 0) AS r_dpp_other, coalesce(ret.ppn, 0) AS r_ppn,
                   coalesce(ret.ppnbm, 0) AS r_ppnbm
            FROM inv FULL JOIN ret ON inv.code = ret.code ORDER BY 1"""), {"n": SELLER, "p": PERIOD})).all()
        credits = (await s.execute(text("""
            SELECT count(*), coalesce(sum(c.ppn), 0) FROM ppn_input_credit c JOIN ppn_invoice i USING (invoice_id)
            WHERE c.buyer_npwp = :n AND c.period = :p AND c.action = 'credit'
              AND i.state NOT IN ('cancelled', 'replaced')"""), {"n": SELLER, "p": PERIOD})).one()
        returned = (await s.execute(text("""
            SELECT count(*), coalesce(sum(r.ppn), 0) FROM ppn_return r
            JOIN ppn_invoice i USING (invoice_id)
            JOIN ppn_input_credit c ON c.invoice_id = r.invoice_id AND c.action = 'credit' AND c.buyer_npwp = :n
            WHERE r.buyer_npwp = :n AND r.period = :p AND i.state NOT IN ('cancelled', 'replaced')"""),
            {"n": SELLER, "p": PERIOD})).one()
    elapsed_ms = (time.perf_counter() - started) * 1000
    fields = ("dpp", "dpp_other", "ppn", "ppnbm")
    figures = {
        "output": [{"transaction_code": r.code, "invoices": r.invoices, "returns": r.returns,
                    **{f: getattr(r, f) for f in fields}, **{f"returned_{f}": getattr(r, f"r_{f}") for f in fields},
                    **{f"net_{f}": _whole(getattr(r, f)) - _whole(getattr(r, f"r_{f}")) for f in fields}}
                   for r in output],
        "input": {"credited_invoices": credits[0], "credited_ppn": credits[1], "returns": returned[0],
                  "returned_ppn": returned[1], "other_input_ppn": OTHER_INPUT,
                  "creditable_ppn": _whole(credits[1]) - _whole(returned[1]) + OTHER_INPUT}}
    return figures, elapsed_ms


async def _scalar(sessions: Any, sql: str, **params: Any) -> int:
    async with sessions() as s:
        return int((await s.execute(text(sql), params)).scalar_one())




def _print(rows: Iterable[dict[str, Any]]) -> None:
    for row in rows:
        mark = "" if row["ok"] is None else ("  ok" if row["ok"] else "  FAIL")
        value = "n/a" if row["value"] is None else f"{row['value']:,}"
        print(f"{row['name'][:110]:<110} {value:>12} {row['unit']:<10} {row['target'] or ''}{mark}")


def main(argv: list[str]) -> int:
    import logging

    import uvloop

    parser = argparse.ArgumentParser(prog="python -m bench.filing_prefill", description=__doc__.split("\n")[0])
    parser.add_argument("--invoices", type=int, default=INVOICES)
    parser.add_argument("server_url", nargs="?")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("aiokafka").setLevel(logging.ERROR)
    rows = uvloop.run(run(args.server_url, invoices=args.invoices))
    _print(rows)
    return 0 if all(r["ok"] is not False for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
