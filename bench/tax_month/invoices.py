"""The month's invoices: each taxpayer uploads its month as one Coretax XML file (to another taxpayer of the run,
so every buyer is a PKP that sees its input invoices), then signs that upload in one signing job with its Kode
Otorisasi, `concurrency` taxpayers at a time. Done, from the users' side, when every job is `completed`."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from bench.tax_month.client import Http
from bench.tax_month.coretax import month_file
from bench.tax_month.months import Plan
from bench.tax_month.taxpayers import PASSPHRASE, People, Taxpayer

OUTSIDE_BUYER = "0013121660091000"  # a run of one taxpayer sells outside it


@dataclass
class InvoiceFigures:
    seconds: float = 0.0
    uploaded: int = 0
    signed: int = 0
    failed: int = 0
    upload_s: list[float] = field(default_factory=list)  # POST of the file until `completed`
    signing_s: list[float] = field(default_factory=list)  # POST of the job until `completed`
    bytes: int = 0


async def sign_the_month(people: People, plan: Plan, per_taxpayer: int, lines: int,
                         concurrency: int) -> InvoiceFigures:
    figures = InvoiceFigures()
    gate = asyncio.Semaphore(concurrency)
    taxpayers = people.taxpayers
    started = time.monotonic()

    async def one(taxpayer: Taxpayer) -> None:
        buyer = taxpayers[(taxpayer.index + 1) % len(taxpayers)].npwp if len(taxpayers) > 1 else OUTSIDE_BUYER
        content = month_file(taxpayer.npwp, buyer, plan.month, per_taxpayer, lines, f"BLN{plan.month}-{taxpayer.index}")
        async with gate:
            await _one(people, taxpayer, content, per_taxpayer, figures)

    await asyncio.gather(*(one(t) for t in taxpayers))
    figures.seconds = time.monotonic() - started
    return figures


async def _one(people: People, taxpayer: Taxpayer, content: bytes, n: int, figures: InvoiceFigures) -> None:
    http: Http = people.http
    invoice = people.stack.api("invoice")
    t0 = time.monotonic()
    upload = await http.call("POST", f"{invoice}/v1/invoice-uploads", content=content, what="upload",
                             headers={**await people.headers(taxpayer), "content-type": "application/xml"})
    upload_id = upload.json()["upload_id"]
    body, _ = await http.until("GET", f"{invoice}/v1/invoice-uploads/{upload_id}", _finished, timeout=600,
                               headers=await people.headers(taxpayer), what="upload state")
    if body["state"] != "completed" or body["accepted"] != n:
        raise RuntimeError(f"upload of {taxpayer.npwp}: {body['state']}, {body.get('accepted')} accepted, "
                           f"{body.get('failed')} failed, {body.get('error')}, first results "
                           f"{[r for r in body.get('results', []) if r.get('errors')][:2]}")
    t1 = time.monotonic()
    figures.upload_s.append(t1 - t0)
    figures.uploaded += n
    figures.bytes += len(content)
    job = await http.call("POST", f"{invoice}/v1/signing-jobs", what="signing job",
                          headers=await people.headers(taxpayer),
                          json={"upload_id": upload_id, "credential_id": taxpayer.credential_id,
                                "passphrase": PASSPHRASE})
    done, _ = await http.until("GET", f"{invoice}/v1/signing-jobs/{job.json()['id']}", _job_finished, timeout=900,
                               headers=await people.headers(taxpayer), params={"item_state": "failed"},
                               what="signing job state", interval=0.25)
    figures.signing_s.append(time.monotonic() - t1)
    figures.signed += done["signed"]
    figures.failed += done["failed"]
    if done["failed"]:
        raise RuntimeError(f"signing for {taxpayer.npwp}: {done['failed']} failed, e.g. {done['items'][:2]}")


def _finished(body: dict) -> dict | None:  # type: ignore[type-arg]
    return body if body["state"] in ("completed", "rejected") else None


def _job_finished(body: dict) -> dict | None:  # type: ignore[type-arg]
    return body if body["state"] in ("completed", "failed") else None
