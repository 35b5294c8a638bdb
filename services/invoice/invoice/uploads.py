"""Coretax XML bulk uploads: the file is stored in the database in the request's transaction (nothing submitted is
lost), then processed asynchronously by whichever process claims it (a lease: a crashed processor's file is taken
over when the lease expires). Processing is one transaction: every valid invoice becomes a draft and every
invoice gets its result, or, for a file that cannot be read, nothing is saved but the rejection."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from datetime import date
from typing import Any

from kit.auth import Principal
from kit.db import UnitOfWork
from sqlalchemy import insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from invoice import coretax_xml, webhooks
from invoice.codes import error
from invoice.errors import UploadNotFound
from invoice.models import invoice, invoice_line, invoice_upload, invoice_upload_result
from invoice.service import READ_SCOPES, PKPStatus, authorize, pkp_status, taken_references, today_jakarta
from invoice.settings import InvoiceSettings
from invoice.validation import Context, validate

log = logging.getLogger(__name__)

INVOICE_COLUMNS = [c.name for c in invoice.columns if c.name not in ("nsfp", "signed_at", "signature",
                                                                      "content_digest", "certificate_serial",
                                                                      "signed_by", "version", "created_at",
                                                                      "updated_at", "status_code", "replaces_id",
                                                                      "replaced_by", "cancelled_at", "cancellation",
                                                                      "input_tax_action", "input_tax_period",
                                                                      "input_tax_at")]
LINE_COLUMNS = [c.name for c in invoice_line.columns]


async def receive(uow: UnitOfWork, principal: Principal, *, npwp: str, content: bytes,
                  filename: str | None, callback_url: str | None = None) -> uuid.UUID:
    upload_id = uuid.uuid4()
    async with uow:
        await uow.session.execute(insert(invoice_upload).values(
            id=upload_id, seller_npwp=npwp, state="received", content=content, size_bytes=len(content),
            filename=filename, created_by=str((principal.actor or {}).get("sub") or principal.subject),
            callback_url=callback_url, callback_client=webhooks.client_of(principal) if callback_url else None))
        await uow.commit()
    return upload_id


async def read_upload(uow: UnitOfWork, principal: Principal, upload_id: uuid.UUID) -> dict[str, Any]:
    async with uow:
        s = uow.session
        row = (await s.execute(select(*[c for c in invoice_upload.c if c.name not in ("content", "callback_client")])
                               .where(invoice_upload.c.id == upload_id))).mappings().first()
        if row is None or row["seller_npwp"] not in principal.taxpayer_ids:
            raise UploadNotFound()
        authorize(principal, row["seller_npwp"], READ_SCOPES)
        results = (await s.execute(select(invoice_upload_result).where(
            invoice_upload_result.c.upload_id == upload_id).order_by(invoice_upload_result.c.position))
        ).mappings().all() if row["state"] == "completed" else []
    return {**row, "results": [dict(r) for r in results]}


async def claim(sessions: async_sessionmaker[AsyncSession], lease_s: int,
                upload_id: uuid.UUID | None = None) -> uuid.UUID | None:
    """Take one file to process: a new one, or one whose processor's lease expired."""
    where = "(state = 'received' OR (state = 'processing' AND lease_until < now()))"
    if upload_id is not None:
        where += " AND id = :id"
    async with sessions() as s, s.begin():
        row = (await s.execute(text(
            f"UPDATE invoice_upload SET state = 'processing', attempts = attempts + 1, "
            f"lease_until = now() + make_interval(secs => :lease) WHERE id = (SELECT id FROM invoice_upload "
            f"WHERE {where} ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING id"),
            {"lease": lease_s, "id": upload_id})).first()
    return row[0] if row else None


def _parse(content: bytes, npwp: str, max_invoices: int) -> tuple[list[Any], set[str]] | dict[str, Any]:
    """CPU work off the event loop, once per file: parse. Returns (parsed invoices, references) or a file rejection."""
    try:
        tin, invoices = coretax_xml.read(content)
        if tin != npwp:
            return error("seller.not_caller", "/TaxInvoiceBulk/TIN",
                         f"the file's seller TIN {tin} is not the taxpayer you act for ({npwp})")
        parsed = []
        for item in invoices:
            parsed.append(item)
            if len(parsed) > max_invoices:
                return error("upload.too_many_invoices", "/TaxInvoiceBulk/ListOfTaxInvoice",
                             f"more than {max_invoices} invoices in one file")
    except coretax_xml.FileRejected as exc:
        return error(exc.code, exc.path, exc.message)
    if not parsed:
        return error("xml.no_invoices", "/TaxInvoiceBulk/ListOfTaxInvoice")
    refs = {(p.header.get("RefDesc") or "").strip() for p in parsed} - {""}
    return parsed, refs


def _validate_all(parsed: list[Any], npwp: str, today: date, pkp: PKPStatus, taken: set[str]) -> list[Any]:
    """CPU work off the event loop: validate every parsed invoice (a reference seen earlier in the file is taken)."""
    seen = set(taken)
    outcomes = []
    for p in parsed:
        base = p.path
        ctx = Context(seller_npwp=npwp, today=today, is_pkp=pkp, taken_references=seen,
                      path=lambda name, base=base: f"{base}/{name}",
                      line_path=lambda i, name, base=base: f"{base}/ListOfGoodService/GoodService[{i + 1}]/{name}")
        outcome = validate(p.header, p.lines, ctx)
        ref = (p.header.get("RefDesc") or "").strip()
        if ref:
            seen.add(ref)  # a second invoice with the same reference in the file is a duplicate
        outcomes.append((p.position, ref or None, outcome))
    return outcomes


async def process(sessions: async_sessionmaker[AsyncSession], settings: InvoiceSettings, upload_id: uuid.UUID) -> None:
    async with sessions() as s:
        row = (await s.execute(select(invoice_upload.c.content, invoice_upload.c.seller_npwp,
                                      invoice_upload.c.created_by).where(invoice_upload.c.id == upload_id))).first()
        assert row is not None
        content, npwp, created_by = row
        pkp = await pkp_status(s, npwp)
    today = today_jakarta()
    first = await asyncio.to_thread(_parse, content, npwp, settings.uploads.max_invoices)  # parsed once
    del content
    if isinstance(first, dict):
        return await _finish_rejected(sessions, upload_id, first)
    async with sessions() as s:
        taken = await taken_references(s, npwp, sorted(first[1]))
    outcomes = await asyncio.to_thread(_validate_all, first[0], npwp, today, pkp, taken)
    del first

    invoices, lines, results = [], [], []
    for position, ref, outcome in outcomes:
        invoice_id = None
        if outcome.invoice is not None:
            invoice_id = uuid.uuid4()
            data = outcome.invoice
            rec = {**data, "id": invoice_id, "status": "draft", "created_by": created_by, "upload_id": upload_id,
                   "upload_position": position}
            invoices.append(tuple(rec.get(c) for c in INVOICE_COLUMNS))
            for line in data["lines"]:
                lrec = {**line, "invoice_id": invoice_id}
                lines.append(tuple(lrec.get(c) for c in LINE_COLUMNS))
        results.append((upload_id, position, ref, invoice_id, json.dumps(outcome.errors),
                        json.dumps(outcome.warnings)))
    async with sessions() as s, s.begin():
        conn = await (await s.connection()).get_raw_connection()
        raw = conn.driver_connection
        # COPY inside the session's transaction: all results or none.
        await raw.copy_records_to_table("invoice", records=invoices, columns=INVOICE_COLUMNS)
        await raw.copy_records_to_table("invoice_line", records=lines, columns=LINE_COLUMNS)
        await raw.copy_records_to_table("invoice_upload_result", records=results, columns=[
            "upload_id", "position", "ref_desc", "invoice_id", "errors", "warnings"])
        await s.execute(update(invoice_upload).where(invoice_upload.c.id == upload_id).values(
            state="completed", total=len(results), accepted=len(invoices), failed=len(results) - len(invoices),
            lease_until=None, completed_at=text("now()")))
        await _enqueue_webhook(s, upload_id, "completed", {"total": len(results), "accepted": len(invoices),
                                                           "failed": len(results) - len(invoices)})


async def _finish_rejected(sessions: async_sessionmaker[AsyncSession], upload_id: uuid.UUID,
                           problem: dict[str, Any]) -> None:
    async with sessions() as s, s.begin():
        await s.execute(update(invoice_upload).where(invoice_upload.c.id == upload_id).values(
            state="rejected", error=problem, total=0, accepted=0, failed=0, lease_until=None,
            completed_at=text("now()")))
        await _enqueue_webhook(s, upload_id, "rejected", {"total": 0, "accepted": 0, "failed": 0})


async def _enqueue_webhook(s: AsyncSession, upload_id: uuid.UUID, state: str, counts: dict[str, int]) -> None:
    row = (await s.execute(select(invoice_upload.c.callback_url, invoice_upload.c.callback_client)
                           .where(invoice_upload.c.id == upload_id))).first()
    if row is not None and row[0]:
        await webhooks.enqueue(s, event_type="invoice_upload.completed", subject_id=upload_id, url=row[0],
                               client_id=row[1], state=state, counts=counts)
