"""SQL of batch signing: jobs and their items, the drafts they sign, NSFP serials, certificates."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import UUID as PGUUID
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from invoice.models import invoice, invoice_line, outbox, signing_certificate, signing_job, signing_job_item
from kit.db import notify_once
from kit.outbox import NOTIFY_CHANNEL

_ALLOCATE = text("INSERT INTO nsfp_counter (year, last_serial) VALUES (:y, :n) ON CONFLICT (year) DO UPDATE "
                 "SET last_serial = nsfp_counter.last_serial + :n RETURNING last_serial")
# Signed, numbered, one version more (the events carry it): the drafts locked and checked by the caller.
_MARK_SIGNED = text(
    "UPDATE invoice AS i SET status = 'signed', nsfp = v.nsfp, signature = v.sig, content_digest = v.dg, "
    "certificate_serial = :cert, signed_by = :signer, signed_at = :now, version = i.version + 1, updated_at = now() "
    "FROM unnest(CAST(:ids AS uuid[]), CAST(:nsfps AS text[]), CAST(:sigs AS text[]), "
    "CAST(:dgs AS text[])) AS v(id, nsfp, sig, dg) WHERE i.id = v.id")
_LOCK_JOB_STALE = text("SELECT state, heartbeat_at < now() - make_interval(secs => :s) AS stale FROM signing_job "
                       "WHERE id = :id FOR UPDATE")
_STALE_JOBS = text("SELECT id FROM signing_job WHERE state = 'running' "
                   "AND heartbeat_at < now() - make_interval(secs => :s)")
_SHOWN = [c for c in signing_job.c if c.name != "callback_client"]


class SigningRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # -- jobs -------------------------------------------------------------------------------------------------------
    async def statuses(self, npwp: str, invoice_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
        """The status of each of the seller's invoices among `invoice_ids`."""
        # one array parameter: an IN list of up to 100,000 ids would exceed PostgreSQL's 32,767 parameters
        wanted = bindparam("ids", list(invoice_ids), type_=ARRAY(PGUUID(as_uuid=True)))
        return dict((await self.session.execute(select(invoice.c.id, invoice.c.status).where(
            invoice.c.id == func.any(wanted), invoice.c.seller_npwp == npwp))).all())

    async def drafts(self, npwp: str, *, upload_id: uuid.UUID | None, period: str | None) -> dict[uuid.UUID, str]:
        stmt = select(invoice.c.id, invoice.c.status).where(invoice.c.seller_npwp == npwp, invoice.c.status == "draft")
        if upload_id:
            stmt = stmt.where(invoice.c.upload_id == upload_id)
        if period:
            stmt = stmt.where(invoice.c.period == period)
        return dict((await self.session.execute(stmt)).all())

    async def add_job(self, job: dict[str, Any], items: list[dict[str, Any]], *, completed: bool) -> None:
        await self.session.execute(insert(signing_job).values(
            **job, completed_at=text("now()") if completed else None))
        await self.session.execute(insert(signing_job_item), items)

    async def job(self, job_id: uuid.UUID) -> dict[str, Any] | None:
        """The job as its requester sees it (without the callback's client)."""
        row = (await self.session.execute(select(*_SHOWN).where(signing_job.c.id == job_id))).mappings().first()
        return dict(row) if row else None

    async def job_row(self, job_id: uuid.UUID) -> dict[str, Any]:
        return dict((await self.session.execute(select(signing_job).where(signing_job.c.id == job_id)))
                    .mappings().one())

    async def pending_count(self, job_id: uuid.UUID) -> int:
        item = signing_job_item.c
        return int((await self.session.execute(select(func.count()).where(item.job_id == job_id,
                                                                          item.state == "pending"))).scalar_one())

    async def items(self, job_id: uuid.UUID, state: str | None = None) -> list[dict[str, Any]]:
        item = signing_job_item.c
        query = (select(item.invoice_id, item.state, item.error, invoice.c.nsfp)
                 .join(invoice, invoice.c.id == item.invoice_id, isouter=True).where(item.job_id == job_id))
        if state is not None:
            query = query.where(item.state == state)
        return [dict(i) for i in (await self.session.execute(query)).mappings()]

    async def pending_chunk(self, job_id: uuid.UUID, size: int) -> list[uuid.UUID]:
        return list((await self.session.execute(select(signing_job_item.c.invoice_id).where(
            signing_job_item.c.job_id == job_id, signing_job_item.c.state == "pending")
            .order_by(signing_job_item.c.invoice_id).limit(size))).scalars())

    async def lock_state(self, job_id: uuid.UUID) -> str:
        return str((await self.session.execute(select(signing_job.c.state).where(signing_job.c.id == job_id)
                                               .with_for_update())).scalar_one())

    async def lock_if_stale(self, job_id: uuid.UUID, stale_after_s: int | None) -> Any:
        """(state, stale) of the job, locked; None when there is no such job."""
        return (await self.session.execute(_LOCK_JOB_STALE, {"id": job_id, "s": float(stale_after_s or 0)})).first()

    async def complete(self, job_id: uuid.UUID) -> bool:
        """The running job marked completed (False: it was not running any more)."""
        return bool((await self.session.execute(update(signing_job).where(
            signing_job.c.id == job_id, signing_job.c.state == "running").values(
            state="completed", completed_at=text("now()"), heartbeat_at=text("now()")))).rowcount)

    async def count(self, job_id: uuid.UUID, *, signed: int, failed: int) -> None:
        await self.session.execute(update(signing_job).where(signing_job.c.id == job_id).values(
            signed=signing_job.c.signed + signed, failed=signing_job.c.failed + failed, heartbeat_at=text("now()")))

    async def fail_pending(self, job_id: uuid.UUID, problem: dict[str, Any]) -> None:
        """Every pending item failed with `problem`, and the job completed."""
        n = (await self.session.execute(update(signing_job_item).where(
            signing_job_item.c.job_id == job_id, signing_job_item.c.state == "pending")
            .values(state="failed", error=problem))).rowcount
        await self.session.execute(update(signing_job).where(signing_job.c.id == job_id).values(
            failed=signing_job.c.failed + n, state="completed", completed_at=text("now()")))

    async def set_items(self, job_id: uuid.UUID, invoice_ids: list[uuid.UUID], state: str,
                        problem: dict[str, Any] | None = None) -> None:
        values: dict[str, Any] = {"state": state} if problem is None else {"state": state, "error": problem}
        await self.session.execute(update(signing_job_item).where(
            signing_job_item.c.job_id == job_id, signing_job_item.c.invoice_id.in_(invoice_ids)).values(**values))

    async def stale_jobs(self, stale_after_s: int) -> list[uuid.UUID]:
        return list((await self.session.execute(_STALE_JOBS, {"s": float(stale_after_s)})).scalars())

    async def beat(self, job_ids: set[uuid.UUID]) -> None:
        await self.session.execute(update(signing_job).where(signing_job.c.id.in_(job_ids),
                                                             signing_job.c.state == "running")
                                   .values(heartbeat_at=text("now()")))

    async def callback(self, job_id: uuid.UUID) -> Any:
        return (await self.session.execute(select(
            signing_job.c.callback_url, signing_job.c.callback_client, signing_job.c.total, signing_job.c.signed,
            signing_job.c.failed).where(signing_job.c.id == job_id))).first()

    # -- the invoices -----------------------------------------------------------------------------------------------
    async def invoices(self, ids: list[uuid.UUID]) -> tuple[dict[uuid.UUID, dict[str, Any]],
                                                            dict[uuid.UUID, list[dict[str, Any]]]]:
        """The invoices and their lines (in line order), by id."""
        rows = {r["id"]: dict(r) for r in (await self.session.execute(select(invoice).where(invoice.c.id.in_(ids))))
                .mappings()}
        lines: dict[uuid.UUID, list[dict[str, Any]]] = {}
        for line in (await self.session.execute(select(invoice_line).where(invoice_line.c.invoice_id.in_(ids))
                                                .order_by(invoice_line.c.invoice_id, invoice_line.c.line_no))
                     ).mappings():
            lines.setdefault(line["invoice_id"], []).append(dict(line))
        return rows, lines

    async def lock_drafts(self, ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
        """The version of each of `ids` that is still a draft, locked (in one order: id)."""
        return dict((await self.session.execute(select(invoice.c.id, invoice.c.version).where(
            invoice.c.id.in_(ids), invoice.c.status == "draft").order_by(invoice.c.id).with_for_update())).all())

    async def lock_invoices(self, ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
        return {r["id"]: dict(r) for r in (await self.session.execute(select(invoice).where(
            invoice.c.id.in_(ids)).order_by(invoice.c.id).with_for_update())).mappings()}

    async def allocate(self, year: int, count: int) -> int:
        """First of `count` fresh serials for `year`; the counter row's lock orders concurrent signers."""
        last = (await self.session.execute(_ALLOCATE, {"y": year, "n": count})).scalar_one()
        return int(last) - count + 1

    async def keep_certificate(self, serial: str, certificate_pem: str, subject_name: str) -> None:
        await self.session.execute(pg_insert(signing_certificate).values(
            serial=serial, certificate_pem=certificate_pem, subject_name=subject_name).on_conflict_do_nothing())

    async def mark_signed(self, signed: list[tuple[uuid.UUID, str, str, str]], *, certificate_serial: str,
                          signer: str, now: datetime) -> None:
        """(id, nsfp, signature, hex digest) of each invoice signed."""
        await self.session.execute(_MARK_SIGNED, {
            "ids": [i for i, _, _, _ in signed], "nsfps": [n for _, n, _, _ in signed],
            "sigs": [s for _, _, s, _ in signed], "dgs": [d for _, _, _, d in signed],
            "cert": certificate_serial, "signer": signer, "now": now})

    async def mark_replaced(self, invoice_id: uuid.UUID, replaced_by: uuid.UUID) -> None:
        await self.session.execute(update(invoice).where(invoice.c.id == invoice_id).values(
            status="replaced", replaced_by=replaced_by, version=invoice.c.version + 1, updated_at=text("now()")))

    async def add_events(self, rows: list[dict[str, Any]]) -> None:
        """Outbox rows (`kit.outbox.outbox_row`) in one statement; the relay is woken at commit."""
        if rows:
            await self.session.execute(insert(outbox), rows)
            await notify_once(self.session, NOTIFY_CHANNEL)
