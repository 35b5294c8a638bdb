"""The last hour before the deadline: every taxpayer, `concurrency` at a time, reads its SPT Masa PPN as filing
prefilled it (checked against the invoices it signed), submits it (Bayar dan Lapor: kurang bayar, so it waits for
payment), finds the billing code payment made for it, pays it at the bank sandbox (a collecting bank: inquiry,
confirmation, NTPN), and waits until filing has filed the return with its receipt (BPE)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from bench.tax_month.coretax import expected_ppn
from bench.tax_month.months import Plan
from bench.tax_month.taxpayers import PASSPHRASE, People, Taxpayer


@dataclass
class DeadlineFigures:
    seconds: float = 0.0
    filed: int = 0
    prefill_mismatches: list[str] = field(default_factory=list)
    receipts: set[str] = field(default_factory=set)
    ntpns: set[str] = field(default_factory=set)
    # per taxpayer, seconds: the prefilled return read; the submission answered; submission -> its billing code
    # visible at payment; the bank's payment answered (NTPN); payment -> the return filed with its receipt; the
    # whole path
    steps_s: dict[str, list[float]] = field(default_factory=dict)

    def took(self, step: str, seconds: float) -> None:
        self.steps_s.setdefault(step, []).append(seconds)


async def file_before_the_deadline(people: People, plan: Plan, per_taxpayer: int, lines: int,
                                   concurrency: int) -> DeadlineFigures:
    figures = DeadlineFigures()
    gate = asyncio.Semaphore(concurrency)
    started = time.monotonic()

    async def one(taxpayer: Taxpayer) -> None:
        async with gate:
            await _file(people, plan, taxpayer, expected_ppn(per_taxpayer, lines), per_taxpayer, figures)

    await asyncio.gather(*(one(t) for t in people.taxpayers))
    figures.seconds = time.monotonic() - started
    return figures


async def _file(people: People, plan: Plan, taxpayer: Taxpayer, ppn: Decimal, invoices: int,
                figures: DeadlineFigures) -> None:
    http, stack = people.http, people.stack
    filing, payment = stack.api("filing"), stack.api("payment")
    t0 = time.monotonic()
    prefill = (await http.call("GET", f"{filing}/v1/returns/spt-masa-ppn/{plan.month}", what="prefill",
                               headers=await people.headers(taxpayer))).json()
    t1 = time.monotonic()
    figures.took("read the prefilled return", t1 - t0)
    counted = sum(row["invoices"] for row in prefill["output"])
    if (Decimal(prefill["output_ppn_owed"]), counted, prefill["outcome"]) != (ppn, invoices, "kurang_bayar"):
        figures.prefill_mismatches.append(
            f"{taxpayer.npwp}: PPN {prefill['output_ppn_owed']} from {counted} invoices ({prefill['outcome']}), "
            f"expected {ppn} from {invoices}")
    submitted = (await http.call(
        "POST", f"{filing}/v1/returns/spt-masa-ppn/{plan.month}/submission", what="submission",
        headers=await people.headers(taxpayer),
        json={"credential_id": taxpayer.credential_id, "passphrase": PASSPHRASE})).json()
    t2 = time.monotonic()
    figures.took("submit (signed at identity; awaiting payment)", t2 - t1)
    if submitted["status"] != "awaiting_payment":
        raise RuntimeError(f"{taxpayer.npwp}: submitted as {submitted['status']}, expected awaiting_payment")
    code, _ = await http.until(
        "GET", f"{payment}/v1/billing-codes", _active_code, timeout=600, what="SPT's billing code", interval=0.3,
        headers=await people.headers(taxpayer), params={"spt_id": submitted["spt_id"], "status": "active"})
    t3 = time.monotonic()
    figures.took("submission -> billing code at payment", t3 - t2)
    paid = (await http.call("POST", f"{stack.sandbox}/bank/pay", json={"billing_code": code},
                            what="bank payment")).json()
    t4 = time.monotonic()
    figures.took("bank payment (inquiry + confirmation, NTPN)", t4 - t3)
    filed, _ = await http.until(
        "GET", f"{filing}/v1/returns/spt-masa-ppn/{plan.month}/submission", _filed, timeout=600,
        what="filed return", headers=await people.headers(taxpayer), interval=0.3)
    t5 = time.monotonic()
    figures.took("payment -> return filed with its receipt", t5 - t4)
    figures.took("whole path", t5 - t0)
    figures.filed += 1
    figures.receipts.add(filed["receipt"]["number"])
    figures.ntpns.add(paid["ntpn"])


def _active_code(body: dict[str, Any]) -> str | None:
    items = body.get("items") or []
    return items[0]["code"] if items else None


def _filed(body: dict[str, Any]) -> dict[str, Any] | None:
    return body if body.get("status") == "filed" and body.get("receipt") else None
