"""Coretax XML bulk uploads: the file is stored in the database in the request's transaction (nothing submitted is
lost), then processed asynchronously by whichever process claims it (a lease: a crashed processor's file is taken
over when the lease expires). Processing is one transaction: every valid invoice becomes a draft and every
invoice gets its result, or, for a file that cannot be read, nothing is saved but the rejection."""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from invoice.auth import DRAFT_SCOPES, READ_SCOPES, authorize
from invoice.clock import today_jakarta
from invoice.codes import error
from invoice.coretax_xml import seller_tin_hint
from invoice.drafts.repository import InvoiceRepository
from invoice.settings import InvoiceSettings
from invoice.taxpayers.repository import TaxpayerRepository
from invoice.uploads.body import UploadedFile
from invoice.uploads.errors import SellerNotCaller, UploadNotFound
from invoice.uploads.ingest import BATCH, Invoices, Rejected, Validator
from invoice.uploads.repository import UploadRepository
from invoice.uploads.schemas import UploadAccepted, UploadRead
from invoice.webhooks.service import check_callback_url, client_of, enqueue_completion
from kit.auth import Principal, acting_taxpayer
from kit.db import UnitOfWork

log = logging.getLogger(__name__)


class Processors(Protocol):
    """The process's job loop, woken when a file is waiting."""

    def kick(self) -> None: ...


async def receive(uow: UnitOfWork, settings: InvoiceSettings, processors: Processors, principal: Principal, *,
                  npwp: str | None, file: UploadedFile, callback_url: str | None) -> UploadAccepted:
    seller = acting_taxpayer(principal, npwp)
    check_callback_url(callback_url, settings)
    authorize(principal, seller, DRAFT_SCOPES)
    hint = seller_tin_hint(file.content)
    if hint is not None and hint != seller:
        raise SellerNotCaller(f"the file's seller TIN {hint} is not the taxpayer you act for ({seller})")
    upload_id = uuid.uuid4()
    async with uow:
        await UploadRepository(uow.session).add(
            id=upload_id, seller_npwp=seller, state="received", content=file.content, size_bytes=len(file.content),
            filename=file.filename, created_by=principal.acting_person, callback_url=callback_url,
            callback_client=client_of(principal) if callback_url else None)
        await uow.commit()
    processors.kick()
    return UploadAccepted(upload_id=upload_id, state="received")


async def read_upload(uow: UnitOfWork, principal: Principal, upload_id: uuid.UUID) -> UploadRead:
    async with uow:
        repo = UploadRepository(uow.session)
        row = await repo.get(upload_id)
        if row is None or row["seller_npwp"] not in principal.taxpayer_ids:
            raise UploadNotFound()
        authorize(principal, row["seller_npwp"], READ_SCOPES)
        results = await repo.results(upload_id) if row["state"] == "completed" else []
    return UploadRead.model_validate({**row, "results": results})


async def claim(sessions: async_sessionmaker[AsyncSession], lease_s: int,
                upload_id: uuid.UUID | None = None) -> uuid.UUID | None:
    """Take one file to process: a new one, or one whose processor's lease expired."""
    async with sessions() as s, s.begin():
        return await UploadRepository(s).claim(lease_s, upload_id)


async def process(sessions: async_sessionmaker[AsyncSession], settings: InvoiceSettings, upload_id: uuid.UUID) -> None:
    async with sessions() as s:
        content, npwp, created_by = await UploadRepository(s).source(upload_id)
        pkp = await TaxpayerRepository(s).pkp_status(npwp)
    validator = Validator(npwp, today_jakarta(), pkp, upload_id=upload_id, created_by=created_by)
    try:
        invoices = await asyncio.to_thread(Invoices, content, npwp, settings.uploads.max_invoices)
        del content  # the parser holds it until the last invoice is read
        await _ingest(sessions, upload_id, invoices, validator)
    except Rejected as rejected:  # the transaction (if any) rolled back: nothing of the file is saved
        await _finish_rejected(sessions, upload_id, rejected.problem)


async def _ingest(sessions: async_sessionmaker[AsyncSession], upload_id: uuid.UUID, invoices: Invoices,
                  validator: Validator) -> None:
    """One transaction: batch by batch, parse, read which references are taken, validate, and COPY while the next
    batch is being parsed and validated. A file-level problem found on the way (Rejected) rolls all of it back."""
    npwp = validator.npwp
    async with sessions() as reads, sessions() as s, s.begin():
        # Taken references are read on a second connection, so the COPY of a batch need not end first (this
        # upload's own rows are invisible there, and need not be seen: `validator.seen` has their references).
        # The query runs once per batch with a new array: a custom plan each time (until the rollback below).
        await UploadRepository(reads).plan_each_query()
        taken_by = InvoiceRepository(reads)
        uploads = UploadRepository(s)
        # The upload's row locked through the session: this opens the transaction that the raw COPYs join (the
        # driver's BEGIN waits for the session's first statement; without one each COPY would commit on its own), and
        # keeps any other processor away from the file until it is done.
        await uploads.lock(upload_id)
        raw = await uploads.copier()
        copying: asyncio.Task[None] | None = None
        try:
            while batch := await asyncio.to_thread(invoices.next_batch, BATCH):
                refs = {(p.header.get("RefDesc") or "").strip() for p in batch} - {""}
                taken = await taken_by.taken_references(npwp, sorted(refs))
                rows = await asyncio.to_thread(validator.rows, batch, taken)
                if copying is not None:
                    await copying
                copying = asyncio.create_task(UploadRepository.copy(raw, rows))
                del rows
            if copying is not None:
                await copying
                copying = None
        finally:
            if copying is not None:  # an error while a COPY runs: let it end before the rollback
                await asyncio.gather(copying, return_exceptions=True)
            await reads.rollback()
        if validator.total == 0:
            raise Rejected(error("xml.no_invoices", "/TaxInvoiceBulk/ListOfTaxInvoice"))
        counts = {"total": validator.total, "accepted": validator.accepted,
                  "failed": validator.total - validator.accepted}
        await uploads.finish(upload_id, "completed", **counts)
        await _enqueue_webhook(s, upload_id, "completed", counts)


async def _finish_rejected(sessions: async_sessionmaker[AsyncSession], upload_id: uuid.UUID,
                           problem: dict[str, Any]) -> None:
    async with sessions() as s, s.begin():
        await UploadRepository(s).finish(upload_id, "rejected", error=problem, total=0, accepted=0, failed=0)
        await _enqueue_webhook(s, upload_id, "rejected", {"total": 0, "accepted": 0, "failed": 0})


async def _enqueue_webhook(s: AsyncSession, upload_id: uuid.UUID, state: str, counts: dict[str, int]) -> None:
    url, client = await UploadRepository(s).callback(upload_id)
    await enqueue_completion(s, event_type="invoice_upload.completed", subject_id=upload_id, url=url,
                             client_id=client, state=state, counts=counts)
