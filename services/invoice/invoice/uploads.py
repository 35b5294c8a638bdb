"""Coretax XML bulk uploads: the file is stored in the database in the request's transaction (nothing submitted is
lost), then processed asynchronously by whichever process claims it (a lease: a crashed processor's file is taken
over when the lease expires). Processing is one transaction: every valid invoice becomes a draft and every
invoice gets its result, or, for a file that cannot be read, nothing is saved but the rejection."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Text, cast, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from invoice import coretax_xml, webhooks
from invoice.codes import error
from invoice.errors import UploadNotFound
from invoice.models import invoice, invoice_line, invoice_upload, invoice_upload_result
from invoice.service import READ_SCOPES, PKPStatus, authorize, pkp_status, taken_references, today_jakarta
from invoice.settings import InvoiceSettings
from invoice.validation import Context, validate
from kit.auth import Principal
from kit.db import UnitOfWork

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
        results = []
        if row["state"] == "completed":
            r = invoice_upload_result.c
            # errors/warnings as text: most are "[]", decoded here without json.loads (10,000+ rows per file)
            rows = await s.execute(select(r.position, r.ref_desc, r.invoice_id, cast(r.errors, Text),
                                          cast(r.warnings, Text)).where(r.upload_id == upload_id).order_by(r.position))
            results = [{"position": position, "ref_desc": ref, "invoice_id": invoice_id, "errors": _json_load(errors),
                        "warnings": _json_load(warnings)} for position, ref, invoice_id, errors, warnings in rows]
    return {**row, "results": results}


def _json_load(value: str) -> Any:
    return [] if value == "[]" else json.loads(value)


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


BATCH = 1_000  # invoices validated and COPYed per round (the COPY of one overlaps the parsing of the next)
RESULT_COLUMNS = ["upload_id", "position", "ref_desc", "invoice_id", "errors", "warnings"]


class _Rejected(Exception):
    """The file is rejected whole (nothing of it is saved); `problem` is the error recorded on the upload."""

    def __init__(self, problem: dict[str, Any]) -> None:
        super().__init__(problem["code"])
        self.problem = problem


class _Invoices:
    """The file's invoices, read in batches off the event loop (one streaming parse; never the whole file's)."""

    def __init__(self, content: bytes, npwp: str, max_invoices: int) -> None:
        try:
            tin, self._items = coretax_xml.read(content)
        except coretax_xml.FileRejected as exc:
            raise _Rejected(error(exc.code, exc.path, exc.message)) from None
        if tin != npwp:
            raise _Rejected(error("seller.not_caller", "/TaxInvoiceBulk/TIN",
                                  f"the file's seller TIN {tin} is not the taxpayer you act for ({npwp})"))
        self.max_invoices, self.count = max_invoices, 0

    def next_batch(self, size: int) -> list[coretax_xml.ParsedInvoice]:
        batch: list[coretax_xml.ParsedInvoice] = []
        try:
            for item in self._items:
                batch.append(item)
                self.count += 1
                if self.count > self.max_invoices:  # as soon as it is known, before reading further
                    raise _Rejected(error("upload.too_many_invoices", "/TaxInvoiceBulk/ListOfTaxInvoice",
                                          f"more than {self.max_invoices} invoices in one file"))
                if len(batch) >= size:
                    break
        except coretax_xml.FileRejected as exc:
            raise _Rejected(error(exc.code, exc.path, exc.message)) from None
        return batch


@dataclass
class _Rows:
    """What a batch writes, as COPY text (PostgreSQL's text format: tab-separated, `\\N` for NULL)."""

    invoices: bytes
    lines: bytes
    results: bytes


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: str) -> str:
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.translate(_COPY_ESCAPES)
    return value


# Every type a row holds, and its COPY text; any other type is a programming error (TypeError, nothing written).
_COPY_FORMAT: dict[type, Callable[[Any], str]] = {
    str: _copy_text, Decimal: str, int: str, uuid.UUID: str, date: date.isoformat, type(None): lambda _: "\\N"}
_PLAIN = frozenset({Decimal, int})  # their str() is their COPY text


def _copy_field(value: Any) -> str:
    try:
        return _COPY_FORMAT[value.__class__](value)
    except KeyError:
        if isinstance(value, uuid.UUID):  # asyncpg's own UUID (an id read from the database) is a subclass
            return str(value)
        raise TypeError(f"no COPY text format for {type(value).__name__}") from None


def _copy_row(values: Any) -> str:
    """One row of COPY text. The common case inline: strings without a backslash are taken as they are, and a
    tab, newline or carriage return in one is caught on the row (then every value goes through `_copy_field`)."""
    values = tuple(values)
    fields = [v if (cls := v.__class__) is str and "\\" not in v else str(v) if cls in _PLAIN else _copy_field(v)
              for v in values]
    row = "\t".join(fields)
    if "\n" in row or "\r" in row or row.count("\t") != len(fields) - 1:
        row = "\t".join(map(_copy_field, values))
    return row


def _copy_payload(rows: list[str]) -> bytes:
    return ("\n".join(rows) + "\n").encode() if rows else b""


def _json_list(items: list[dict[str, Any]]) -> str:
    return json.dumps(items) if items else "[]"


class _Validator:
    """Validates batches in file order (a reference seen earlier in the file is taken) and turns the outcomes into
    the rows to COPY."""

    def __init__(self, npwp: str, today: date, pkp: PKPStatus, *, upload_id: uuid.UUID, created_by: str) -> None:
        self.npwp, self.today, self.pkp, self.upload_id, self.created_by = npwp, today, pkp, upload_id, created_by
        self.seen: set[str] = set()
        self.total = self.accepted = 0

    def rows(self, batch: list[coretax_xml.ParsedInvoice], taken: set[str]) -> _Rows:
        """CPU work off the event loop. `batch` is emptied as it goes (each invoice is freed once done)."""
        seen = self.seen
        seen.update(taken)
        invoices, lines, results = [], [], []
        upload = str(self.upload_id)
        for index, p in enumerate(batch):
            batch[index] = None  # type: ignore[call-overload]
            base = p.path
            ctx = Context(seller_npwp=self.npwp, today=self.today, is_pkp=self.pkp, taken_references=seen,
                          path=lambda name, base=base: f"{base}/{name}",
                          line_path=lambda i, name, base=base: f"{base}/ListOfGoodService/GoodService[{i + 1}]/{name}")
            outcome = validate(p.header, p.lines, ctx)
            ref = (p.header.get("RefDesc") or "").strip()
            if ref:
                seen.add(ref)  # a second invoice with the same reference in the file is a duplicate
            invoice_id = None
            data = outcome.invoice
            if data is not None:
                invoice_id = uuid.uuid4()
                data.update(id=invoice_id, status="draft", created_by=self.created_by, upload_id=self.upload_id,
                            upload_position=p.position)
                invoices.append(_copy_row(map(data.get, INVOICE_COLUMNS)))
                line_invoice_id = str(invoice_id)
                for line in data["lines"]:
                    line["invoice_id"] = line_invoice_id
                    lines.append(_copy_row(map(line.get, LINE_COLUMNS)))
            results.append(_copy_row((upload, p.position, ref or None, invoice_id, _json_list(outcome.errors),
                                      _json_list(outcome.warnings))))
        batch.clear()
        self.total += len(results)
        self.accepted += len(invoices)
        return _Rows(_copy_payload(invoices), _copy_payload(lines), _copy_payload(results))


async def _copy(raw: Any, rows: _Rows) -> None:
    # invoices before their lines (foreign key); each COPY in the one transaction of the upload
    for table, columns, payload in (("invoice", INVOICE_COLUMNS, rows.invoices),
                                    ("invoice_line", LINE_COLUMNS, rows.lines),
                                    ("invoice_upload_result", RESULT_COLUMNS, rows.results)):
        if payload:
            await raw.copy_to_table(table, source=memoryview(payload), columns=columns, format="text")


async def process(sessions: async_sessionmaker[AsyncSession], settings: InvoiceSettings, upload_id: uuid.UUID) -> None:
    async with sessions() as s:
        row = (await s.execute(select(invoice_upload.c.content, invoice_upload.c.seller_npwp,
                                      invoice_upload.c.created_by).where(invoice_upload.c.id == upload_id))).first()
        assert row is not None
        content, npwp, created_by = row
        del row
        pkp = await pkp_status(s, npwp)
    validator = _Validator(npwp, today_jakarta(), pkp, upload_id=upload_id, created_by=created_by)
    try:
        invoices = await asyncio.to_thread(_Invoices, content, npwp, settings.uploads.max_invoices)
        del content  # the parser holds it until the last invoice is read
        await _ingest(sessions, upload_id, invoices, validator)
    except _Rejected as rejected:  # the transaction (if any) rolled back: nothing of the file is saved
        await _finish_rejected(sessions, upload_id, rejected.problem)


async def _ingest(sessions: async_sessionmaker[AsyncSession], upload_id: uuid.UUID, invoices: _Invoices,
                  validator: _Validator) -> None:
    """One transaction: batch by batch, parse, read which references are taken, validate, and COPY while the next
    batch is being parsed and validated. A file-level problem found on the way (_Rejected) rolls all of it back."""
    npwp = validator.npwp
    async with sessions() as reads, sessions() as s, s.begin():
        # Taken references are read on a second connection, so the COPY of a batch need not end first (this
        # upload's own rows are invisible there, and need not be seen: `validator.seen` has their references).
        # The query runs once per batch with a new array: as a generic plan (PostgreSQL's choice after five runs of
        # a prepared statement) `ref_desc = ANY($2)` compares every reference with every row of the seller; a
        # custom plan hashes the array.
        await reads.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))  # until the rollback below
        # The upload's row locked through the session: this opens the transaction that the raw COPYs join (the
        # driver's BEGIN waits for the session's first statement; without one each COPY would commit on its own), and
        # keeps any other processor away from the file until it is done.
        await s.execute(select(invoice_upload.c.id).where(invoice_upload.c.id == upload_id).with_for_update())
        raw = (await (await s.connection()).get_raw_connection()).driver_connection
        copying: asyncio.Task[None] | None = None
        try:
            while batch := await asyncio.to_thread(invoices.next_batch, BATCH):
                refs = {(p.header.get("RefDesc") or "").strip() for p in batch} - {""}
                taken = await taken_references(reads, npwp, sorted(refs))
                rows = await asyncio.to_thread(validator.rows, batch, taken)
                if copying is not None:
                    await copying
                copying = asyncio.create_task(_copy(raw, rows))
                del rows
            if copying is not None:
                await copying
                copying = None
        finally:
            if copying is not None:  # an error while a COPY runs: let it end before the rollback
                await asyncio.gather(copying, return_exceptions=True)
            await reads.rollback()
        if validator.total == 0:
            raise _Rejected(error("xml.no_invoices", "/TaxInvoiceBulk/ListOfTaxInvoice"))
        counts = {"total": validator.total, "accepted": validator.accepted,
                  "failed": validator.total - validator.accepted}
        await s.execute(update(invoice_upload).where(invoice_upload.c.id == upload_id).values(
            state="completed", **counts, lease_until=None, completed_at=text("now()")))
        await _enqueue_webhook(s, upload_id, "completed", counts)


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
