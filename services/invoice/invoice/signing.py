"""Batch signing. The passphrase is never stored: it lives only in the memory of the API process that accepted the
job, for the job's run. Each chunk (1,000 invoices) is: read and digest the drafts (short transaction), ask
identity to sign the digests (no transaction open), then in one transaction number (NSFP), mark signed and publish
`InvoiceSigned` through the outbox. Every item ends signed or failed with a reason; a job whose process died (no
heartbeat) is finished by any process: its remaining items fail with `signing.passphrase_required` ("resubmit
with the passphrase"), and their invoices stay drafts. Never stuck."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import uuid
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.x509.oid import NameOID
from sqlalchemy import bindparam, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import UUID as PGUUID
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts.envelope import Envelope
from contracts.invoice import InvoiceReplaced, InvoiceSigned
from contracts.registry import payload_of
from contracts.topics import events_topic
from invoice import webhooks
from invoice.codes import error
from invoice.errors import NothingToSign, SigningJobNotFound
from invoice.identity_client import IdentityClient, IdentityUnavailable, SigningRefused
from invoice.models import invoice, invoice_line, outbox, signing_certificate, signing_job, signing_job_item
from invoice.service import READ_SCOPES, actor_of, authorize
from invoice.settings import InvoiceSettings
from kit.auth import Principal
from kit.db import UnitOfWork
from kit.logging import correlation_id
from kit.outbox import publish

log = logging.getLogger(__name__)

_DIGEST_FIELDS = ("id", "seller_npwp", "seller_nitku", "invoice_date", "trx_code", "add_info", "facility_stamp",
                  "custom_doc", "custom_doc_month_year", "ref_desc", "buyer_document", "buyer_tin",
                  "buyer_document_number", "buyer_country", "buyer_name", "buyer_address", "buyer_email",
                  "buyer_nitku", "dpp", "dpp_other", "ppn", "ppnbm")
_LINE_FIELDS = ("line_no", "opt", "code", "name", "unit", "price", "qty", "discount", "tax_base", "other_tax_base",
                "vat_rate", "vat", "stlg_rate", "stlg")


def canonical(row: dict[str, Any], lines: list[dict[str, Any]]) -> bytes:
    """The signed content: the invoice's facts as canonical JSON (sorted keys, amounts as strings)."""
    doc = {k: (None if row[k] is None else str(row[k])) for k in _DIGEST_FIELDS}
    doc["lines"] = [{k: str(line[k]) for k in _LINE_FIELDS} for line in lines]
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


async def create_job(uow: UnitOfWork, principal: Principal, *, npwp: str, invoice_ids: list[uuid.UUID] | None,
                     upload_id: uuid.UUID | None, period: str | None, credential_id: str,
                     callback_url: str | None = None) -> dict[str, Any]:
    authorize(principal, npwp, ("invoice:sign",))
    if invoice_ids is None and upload_id is None and period is None:
        raise NothingToSign("choose the invoices: invoice_ids, upload_id or period")
    job_id = uuid.uuid4()
    async with uow:
        s = uow.session
        if invoice_ids is not None:  # an empty list selects nothing (never "every draft")
            # one array parameter: an IN list of up to 100,000 ids would exceed PostgreSQL's 32,767 parameters
            wanted = bindparam("ids", list(invoice_ids), type_=ARRAY(PGUUID(as_uuid=True)))
            found = dict((await s.execute(select(invoice.c.id, invoice.c.status).where(
                invoice.c.id == func.any(wanted), invoice.c.seller_npwp == npwp))).all())
            ids = list(dict.fromkeys(invoice_ids))
        else:
            stmt = select(invoice.c.id, invoice.c.status).where(invoice.c.seller_npwp == npwp,
                                                                invoice.c.status == "draft")
            if upload_id:
                stmt = stmt.where(invoice.c.upload_id == upload_id)
            if period:
                stmt = stmt.where(invoice.c.period == period)
            found = dict((await s.execute(stmt)).all())
            ids = list(found)
        if not ids:
            raise NothingToSign("no draft matches")
        items = []
        for i in ids:
            ok = found.get(i) == "draft"
            items.append({"job_id": job_id, "invoice_id": i, "state": "pending" if ok else "failed",
                          "error": None if ok else error("signing.not_signable", f"invoice_ids/{i}")})
        failed = sum(1 for it in items if it["state"] == "failed")
        account = _signer_account(principal)
        await s.execute(insert(signing_job).values(
            id=job_id, seller_npwp=npwp, state="running" if failed < len(items) else "completed",
            completed_at=None if failed < len(items) else text("now()"), credential_id=credential_id,
            account_id=account, requested_by=actor_of(principal), total=len(items), failed=failed,
            callback_url=callback_url, callback_client=webhooks.client_of(principal) if callback_url else None))
        await s.execute(insert(signing_job_item), items)
        if failed == len(items):  # finished at once: its webhook goes with it
            await _enqueue_webhook(s, job_id)
        await uow.commit()
    return await read_job(uow, principal, job_id)


def _signer_account(principal: Principal) -> str | None:
    """The person who signs, sent to identity so the credential must be theirs: the `act` person of a token acting
    for a taxpayer, or the account of a person's own token. None only for machine clients (a PJAP), for which
    identity checks the passphrase alone."""
    actor = principal.actor or {}
    if actor:
        return str(actor["sub"]) if actor.get("sub") and actor.get("client_kind") is None else None
    if principal.claims.get("client_kind"):
        return None
    try:
        return str(uuid.UUID(principal.subject))
    except ValueError:
        return None


async def read_job(uow: UnitOfWork, principal: Principal, job_id: uuid.UUID,
                   item_state: str | None = None) -> dict[str, Any]:
    """The job with its counts and its items (only those in `item_state` when given: a front-end polling a large
    job's progress, or showing what failed, need not fetch every item)."""
    async with uow:
        s = uow.session
        job = (await s.execute(select(*[c for c in signing_job.c if c.name != "callback_client"]).where(
            signing_job.c.id == job_id))).mappings().first()
        if job is None or job["seller_npwp"] not in principal.taxpayer_ids:
            raise SigningJobNotFound()
        authorize(principal, job["seller_npwp"], READ_SCOPES)
        item = signing_job_item.c
        pending = (await s.execute(select(func.count()).where(item.job_id == job_id, item.state == "pending"))
                   ).scalar_one()
        query = (select(item.invoice_id, item.state, item.error, invoice.c.nsfp)
                 .join(invoice, invoice.c.id == item.invoice_id, isouter=True).where(item.job_id == job_id))
        if item_state is not None:
            query = query.where(item.state == item_state)
        items = (await s.execute(query)).mappings().all()
    return {**job, "pending": pending, "items": [dict(i) for i in items]}


async def _allocate(session: AsyncSession, year: int, count: int) -> int:
    """First of `count` fresh serials for `year`; the counter row's lock orders concurrent signers."""
    last = (await session.execute(text(
        "INSERT INTO nsfp_counter (year, last_serial) VALUES (:y, :n) ON CONFLICT (year) DO UPDATE "
        "SET last_serial = nsfp_counter.last_serial + :n RETURNING last_serial"), {"y": year, "n": count})
    ).scalar_one()
    return int(last) - count + 1


def subject_name(certificate_pem: str) -> str:
    """The holder's name (the certificate subject's common name): the signer printed on the faktur."""
    cert = x509.load_pem_x509_certificate(certificate_pem.encode())
    full = cert.subject.get_attributes_for_oid(x509.ObjectIdentifier("2.5.4.41"))  # id-at-name: when CN is cut
    names = full or cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else cert.subject.rfc4514_string()


def digest_of(row: dict[str, Any], lines: list[dict[str, Any]]) -> bytes:
    return hashlib.sha256(canonical(row, lines)).digest()


def nsfp(trx_code: str, year: int, serial: int, status: int = 0) -> str:
    return f"{trx_code}{status:02d}{year % 100:02d}{serial:011d}"


async def run_job(sessions: async_sessionmaker[AsyncSession], identity: IdentityClient, settings: InvoiceSettings,
                  job_id: uuid.UUID, passphrase: str) -> None:
    try:
        await _run(sessions, identity, settings, job_id, passphrase)
    except Exception as exc:  # never leave a job running because of a bug: fail what is left, with the reason
        log.exception("signing job failed", extra={"job_id": str(job_id)})
        await _fail_pending(sessions, job_id, error("signing.identity_unavailable", "/", f"unexpected: {exc!r}"[:300]))


async def _run(sessions: async_sessionmaker[AsyncSession], identity: IdentityClient, settings: InvoiceSettings,
               job_id: uuid.UUID, passphrase: str) -> None:
    async with sessions() as s:
        job = (await s.execute(select(signing_job).where(signing_job.c.id == job_id))).mappings().one()
    while True:
        async with sessions() as s:
            ids = list((await s.execute(select(signing_job_item.c.invoice_id).where(
                signing_job_item.c.job_id == job_id, signing_job_item.c.state == "pending")
                .order_by(signing_job_item.c.invoice_id).limit(settings.signing.chunk_size))).scalars())
            if not ids:
                break
            rows = {r["id"]: dict(r) for r in (await s.execute(select(invoice).where(invoice.c.id.in_(ids))))
                    .mappings()}
            lines: dict[uuid.UUID, list[dict[str, Any]]] = {}
            for line in (await s.execute(select(invoice_line).where(invoice_line.c.invoice_id.in_(ids))
                                         .order_by(invoice_line.c.invoice_id, invoice_line.c.line_no))).mappings():
                lines.setdefault(line["invoice_id"], []).append(dict(line))
        signable = [i for i in ids if i in rows and rows[i]["status"] == "draft"]
        not_signable = [i for i in ids if i not in signable]
        digests = {i: digest_of(rows[i], lines.get(i, [])) for i in signable}
        if not signable:  # identity refuses an empty batch: these only fail, and the job goes on
            if not await _commit_chunk(sessions, job, [], not_signable, rows, digests, [], ""):
                return
            continue
        try:
            batch = await identity.sign(credential_id=job["credential_id"], passphrase=passphrase,
                                        digests=[base64.b64encode(digests[i]).decode() for i in signable],
                                        account_id=job["account_id"], acting_for=job["seller_npwp"])
        except SigningRefused as exc:
            path = "/passphrase" if exc.code in ("credential.passphrase_wrong", "credential.locked") \
                else "/credential_id"
            await _fail_pending(sessions, job_id, error("signing.credential_rejected", path, exc.reason()))
            return
        except IdentityUnavailable as exc:
            await _fail_pending(sessions, job_id, error("signing.identity_unavailable", "/", str(exc)[:300]))
            return
        if len(batch.signatures) != len(signable):
            await _fail_pending(sessions, job_id, error("signing.identity_unavailable", "/",
                                                        f"identity returned {len(batch.signatures)} signatures "
                                                        f"for {len(signable)} digests"))
            return
        if not await _commit_chunk(sessions, job, signable, not_signable, rows, digests, batch.signatures,
                                   batch.certificate_serial, batch.certificate_pem):
            return
    async with sessions() as s, s.begin():
        done = (await s.execute(update(signing_job).where(signing_job.c.id == job_id,
                                                          signing_job.c.state == "running")
                                .values(state="completed", completed_at=text("now()"), heartbeat_at=text("now()"))
                                )).rowcount
        if done:
            await _enqueue_webhook(s, job_id)


async def _enqueue_webhook(s: AsyncSession, job_id: uuid.UUID) -> None:
    """In the transaction that completes the job: its webhook, when one was asked for."""
    job = (await s.execute(select(signing_job.c.callback_url, signing_job.c.callback_client, signing_job.c.total,
                                  signing_job.c.signed, signing_job.c.failed).where(signing_job.c.id == job_id))).first()
    if job is not None and job.callback_url:
        await webhooks.enqueue(s, event_type="signing_job.completed", subject_id=job_id, url=job.callback_url,
                               client_id=job.callback_client, state="completed",
                               counts={"total": job.total, "signed": job.signed, "failed": job.failed})


async def _commit_chunk(sessions: async_sessionmaker[AsyncSession], job: Any, signable: list[uuid.UUID],
                        not_signable: list[uuid.UUID], rows: dict[uuid.UUID, dict[str, Any]],
                        digests: dict[uuid.UUID, bytes], signatures: list[str], certificate_serial: str,
                        certificate_pem: str | None = None) -> bool:
    """Number, mark signed and publish one chunk; False (nothing written) when the job is no longer running (another
    process finished it as stale meanwhile: its items already failed, so none of them may be signed now)."""
    now = datetime.now(UTC)
    async with sessions() as s, s.begin():
        state = (await s.execute(select(signing_job.c.state).where(signing_job.c.id == job["id"])
                                 .with_for_update())).scalar_one()
        if state != "running":
            return False
        # Lock the drafts; one edited or deleted since it was digested is not signed (its content changed).
        current = dict((await s.execute(select(invoice.c.id, invoice.c.version).where(
            invoice.c.id.in_(signable), invoice.c.status == "draft").order_by(invoice.c.id)  # one lock order
            .with_for_update())).all())
        ok = [(i, sig) for i, sig in zip(signable, signatures, strict=True) if current.get(i) == rows[i]["version"]]
        changed = [i for i in signable if current.get(i) != rows[i]["version"]]
        numbers: dict[uuid.UUID, str] = {}
        # Replacements take their original's serial with their status code (TT SS + the original's YY + serial);
        # the original, locked here, must still be signed, and becomes replaced in this transaction.
        originals: dict[uuid.UUID, dict[str, Any]] = {}
        wanted = sorted({rows[i]["replaces_id"] for i, _ in ok if rows[i].get("replaces_id")})
        if wanted:
            originals = {r["id"]: dict(r) for r in (await s.execute(select(invoice).where(
                invoice.c.id.in_(wanted)).order_by(invoice.c.id).with_for_update())).mappings()}
        inactive = []
        for i, _ in ok:
            rid = rows[i].get("replaces_id")
            if rid is None:
                continue
            orig = originals.get(rid)
            if orig is None or orig["status"] != "signed" or orig["replaced_by"] is not None or not orig["nsfp"]:
                inactive.append(i)
                continue
            orig["replaced_by"] = i  # a second replacement of the same original in this chunk is inactive
            numbers[i] = nsfp(rows[i]["trx_code"], 0, 0, rows[i]["status_code"])[:4] + orig["nsfp"][4:]
        ok = [(i, sig) for i, sig in ok if i not in inactive]
        by_year: dict[int, list[uuid.UUID]] = {}
        for i, _ in ok:
            if i not in numbers:
                by_year.setdefault(rows[i]["invoice_date"].year, []).append(i)
        for year, members in sorted(by_year.items()):
            first = await _allocate(s, year, len(members))
            for offset, i in enumerate(members):
                numbers[i] = nsfp(rows[i]["trx_code"], year, first + offset)
        if ok and certificate_pem:
            await s.execute(pg_insert(signing_certificate).values(
                serial=certificate_serial, certificate_pem=certificate_pem,
                subject_name=subject_name(certificate_pem)).on_conflict_do_nothing())
        if ok:
            await s.execute(text(
                "UPDATE invoice AS i SET status = 'signed', nsfp = v.nsfp, signature = v.sig, content_digest = v.dg, "
                "certificate_serial = :cert, signed_by = :signer, signed_at = :now, updated_at = now() "
                "FROM unnest(CAST(:ids AS uuid[]), CAST(:nsfps AS text[]), CAST(:sigs AS text[]), "
                "CAST(:dgs AS text[])) AS v(id, nsfp, sig, dg) WHERE i.id = v.id"),
                {"ids": [i for i, _ in ok], "nsfps": [numbers[i] for i, _ in ok], "sigs": [sig for _, sig in ok],
                 "dgs": [digests[i].hex() for i, _ in ok], "cert": certificate_serial,
                 "signer": job["account_id"] or job["requested_by"], "now": now})
            await s.execute(insert(outbox), [_event_row(rows[i], numbers[i], now, job, certificate_serial)
                                             for i, _ in ok])
            for i, _ in ok:
                rid = rows[i].get("replaces_id")
                if rid is not None:
                    orig = originals[rid]
                    await s.execute(update(invoice).where(invoice.c.id == rid).values(
                        status="replaced", replaced_by=i, updated_at=text("now()")))
                    await publish(s, InvoiceReplaced(
                        invoice_id=str(rid), nsfp=orig["nsfp"], replacement_invoice_id=str(i),
                        replacement_nsfp=numbers[i], status_code=rows[i]["status_code"],
                        seller_npwp=orig["seller_npwp"],
                        buyer_npwp=orig["buyer_tin"] if orig["buyer_document"] == "TIN" else None,
                        period=orig["period"], replacement_period=rows[i]["period"], dpp=str(orig["dpp"]),
                        ppn=str(orig["ppn"]), ppnbm=str(orig["ppnbm"]), replacement_dpp=str(rows[i]["dpp"]),
                        replacement_ppn=str(rows[i]["ppn"]), replacement_ppnbm=str(rows[i]["ppnbm"]),
                        replaced_at=now), key=orig["seller_npwp"], subject=str(rid), aggregate_type="invoice", sequence=0)
            await s.execute(text("SELECT pg_notify('outbox', '')"))
            await s.execute(update(signing_job_item).where(signing_job_item.c.job_id == job["id"],
                                                           signing_job_item.c.invoice_id.in_([i for i, _ in ok]))
                            .values(state="signed"))
        bad = changed + not_signable
        if bad:
            await s.execute(update(signing_job_item).where(signing_job_item.c.job_id == job["id"],
                                                           signing_job_item.c.invoice_id.in_(bad))
                            .values(state="failed", error=error("signing.not_signable", "/invoice_ids",
                                                                "the invoice changed, was deleted or is not a "
                                                                "draft any more")))
        if inactive:
            await s.execute(update(signing_job_item).where(signing_job_item.c.job_id == job["id"],
                                                           signing_job_item.c.invoice_id.in_(inactive))
                            .values(state="failed", error=error("signing.replaced_not_active", "/invoice_ids")))
        await s.execute(update(signing_job).where(signing_job.c.id == job["id"]).values(
            signed=signing_job.c.signed + len(ok), failed=signing_job.c.failed + len(bad) + len(inactive),
            heartbeat_at=text("now()")))
    return True


def _event_row(row: dict[str, Any], number: str, now: datetime, job: Any, certificate_serial: str) -> dict[str, Any]:
    """The same outbox row `kit.outbox.publish` writes, built for a bulk insert."""
    event = InvoiceSigned(
        invoice_id=str(row["id"]), nsfp=number, seller_npwp=row["seller_npwp"], seller_nitku=row["seller_nitku"],
        buyer_npwp=row["buyer_tin"] if row["buyer_document"] == "TIN" else None,
        buyer_document=row["buyer_document"], invoice_date=row["invoice_date"], period=row["period"],
        transaction_code=row["trx_code"], reference=row["ref_desc"], dpp=str(row["dpp"]),
        dpp_other=str(row["dpp_other"]), ppn=str(row["ppn"]), ppnbm=str(row["ppnbm"]), signed_at=now,
        signer_account_id=job["account_id"], certificate_serial=certificate_serial)
    event_id = uuid.uuid4()
    envelope = Envelope(id=event_id, type=event.type, version=event.version, source=event.source,
                        subject=str(row["id"]), sequence=0, partition_key=row["seller_npwp"], time=now,
                        correlation_id=correlation_id.get(), data=payload_of(event))
    headers = {"event_id": str(event_id), "event_type": event.type, "event_version": str(event.version),
               "content-type": "application/json"}
    if envelope.correlation_id:
        headers["correlation_id"] = envelope.correlation_id
    return {"id": event_id, "topic": events_topic("invoice"), "key": row["seller_npwp"], "aggregate_type": "invoice",
            "aggregate_id": str(row["id"]), "event_type": event.type, "event_version": event.version,
            "payload": envelope.model_dump(mode="json"), "headers": headers}


async def _fail_pending(sessions: async_sessionmaker[AsyncSession], job_id: uuid.UUID, problem: dict[str, Any],
                        stale_after_s: int | None = None) -> None:
    async with sessions() as s, s.begin():
        job = (await s.execute(text(
            "SELECT state, heartbeat_at < now() - make_interval(secs => :s) AS stale FROM signing_job "
            "WHERE id = :id FOR UPDATE"), {"id": job_id, "s": float(stale_after_s or 0)})).first()
        if job is None or job.state != "running":
            return
        if stale_after_s is not None and not job.stale:
            return  # it beat again meanwhile: its process is alive
        n = (await s.execute(update(signing_job_item).where(signing_job_item.c.job_id == job_id,
                                                            signing_job_item.c.state == "pending")
                             .values(state="failed", error=problem))).rowcount
        await s.execute(update(signing_job).where(signing_job.c.id == job_id).values(
            failed=signing_job.c.failed + n, state="completed", completed_at=text("now()")))
        await _enqueue_webhook(s, job_id)


async def recover_stale(sessions: async_sessionmaker[AsyncSession], stale_after_s: int,
                        running_here: set[uuid.UUID]) -> int:
    """Finish jobs whose process stopped (the passphrase died with it)."""
    async with sessions() as s:
        stale = [j for j in (await s.execute(text(
            "SELECT id FROM signing_job WHERE state = 'running' AND heartbeat_at < now() - make_interval(secs => :s)"),
            {"s": float(stale_after_s)})).scalars() if j not in running_here]
    for job_id in stale:
        await _fail_pending(sessions, job_id, error("signing.passphrase_required", "/passphrase"), stale_after_s)
    return len(stale)


async def heartbeat(sessions: async_sessionmaker[AsyncSession], job_ids: set[uuid.UUID]) -> None:
    if job_ids:
        async with sessions() as s, s.begin():
            await s.execute(update(signing_job).where(signing_job.c.id.in_(job_ids), signing_job.c.state == "running")
                            .values(heartbeat_at=text("now()")))
