"""Issue 16's faulted twin: the same tax month (tests/tax_month/) while, on a seeded schedule, each service's worker
is killed with SIGKILL in turn, the broker is stopped for 30 s and brought back, and PostgreSQL is restarted once
(tests/tax_month/faults.py). At the end the same checks hold: every outbox drained, every consumer's inbox equal to
the events published to it, no dead letter, the ledger balanced, nothing applied twice (ledger postings per payment,
notices per fact, NSFPs, SPT versions, STPs). The figures (faults, events, duplicates the inboxes suppressed) are
printed.

It runs on a stack of its own, so its faults reach no other test. `LONTAR_TAX_MONTH_SEED` replays a schedule,
`LONTAR_TAX_MONTH_FAULT_INVOICES` sets the size of the PJAP's file."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest

from devstack.config import SERVICES, StackConfig
from devstack.processes import free_port
from devstack.stack import Stack
from tests.tax_month.checks import check_month
from tests.tax_month.faults import Faults
from tests.tax_month.month import run_month

SEED = int(os.environ.get("LONTAR_TAX_MONTH_SEED", "16"))
INVOICES = int(os.environ.get("LONTAR_TAX_MONTH_FAULT_INVOICES", "1000"))


@contextmanager
def _environ(**values: str) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture(scope="module")
def own_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, ThreadPoolExecutor]]:
    """A stack as the session's `stack` fixture makes one, for this module alone; and the one thread that stops and
    starts its processes during the faults (children die with the thread that started them)."""
    config = StackConfig(
        data_dir=tmp_path_factory.mktemp("faulted-stack"), pg_port=free_port(), broker_port=free_port(),
        api_ports={s: free_port() for s in SERVICES}, worker_ports={s: free_port() for s in SERVICES},
        durable=False, log_level="WARNING", sandbox_smtp_port=free_port(), sandbox_http_port=free_port(),
        liveness_port=free_port())
    stack = Stack(config)
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="faults")
    # filing's and payment's processes read the officers' reference data every 2 s instead of 30 (each child keeps
    # the environment it was made with, restarts included): a refresh that fails while PostgreSQL restarts is
    # tried again before the late filer needs the 2027 calendar in filing's worker (tests/tax_month/reference.py)
    with _environ(FILING_REFERENCE_REFRESH_S="2", PAYMENT_REFERENCE_REFRESH_S="2"):
        stack.start(timeout=120)
    try:
        yield stack, executor
    finally:
        stack.stop()
        executor.shutdown()


@pytest.mark.slow
async def test_the_tax_month_with_faults(own_stack: tuple[Stack, ThreadPoolExecutor]) -> None:
    stack, executor = own_stack
    faults = Faults(stack, SEED, executor)
    print("\nfault schedule:", *faults.schedule(), sep="\n  ")
    started = time.monotonic()
    month = await run_month(stack, INVOICES, at=faults.at)
    figures = await check_month(stack, ntpns=month.ntpns, nsfps=sorted(month.invoices.nsfps))
    await faults.read_counters()
    kinds = sorted(f.kind for f in faults.injected)
    assert kinds == sorted([f"kill {s}-worker" for s in SERVICES] + ["restart postgres", "stop broker"]), kinds
    print(f"tax month with faults, {INVOICES} invoices: {time.monotonic() - started:.1f}s", *month.report(),
          *faults.report(), *figures.lines(), sep="\n")
