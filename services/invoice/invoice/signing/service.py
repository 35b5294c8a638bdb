"""Batch signing. The passphrase is never stored: it lives only in the memory of the API process that accepted the
job, for the job's run. Each chunk (1,000 invoices) is: read and digest the drafts (short transaction), ask
identity to sign the digests (no transaction open), then in one transaction number (NSFP), mark signed and publish
`InvoiceSigned` through the outbox. Every item ends signed or failed with a reason; a job whose process died (no
heartbeat) is finished by any process: its remaining items fail with `signing.passphrase_required` ("resubmit
with the passphrase"), and their invoices stay drafts. Never stuck."""

from __future__ import annotations

import base64
import logging
import uuid
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts.invoice import InvoiceReplaced, InvoiceSigned
from invoice.auth import READ_SCOPES, SIGN_SCOPES, authorize
from invoice.codes import error
from invoice.lifecycle.rules import buyer_npwp, signed_late
from invoice.settings import InvoiceSettings
from invoice.signing.errors import NothingToSign, SigningJobNotFound
from invoice.signing.repository import SigningRepository
from invoice.signing.rules import digest_of, nsfp, replacement_nsfp
from invoice.signing.schemas import SigningJobCreate, SigningJobRead
from invoice.webhooks.service import check_callback_url, client_of, enqueue_completion
from kit.auth import Principal, acting_taxpayer
from kit.db import UnitOfWork
from kit.outbox import outbox_row
from kit.signing import IdentityClient, IdentityUnavailable, SigningRefused, signer_account, subject_name

log = logging.getLogger(__name__)
AGGREGATE = "invoice"


class Signers(Protocol):
    """Where a job's run happens: the process that holds its passphrase (`invoice.jobs.JobRunner`)."""

    def start_signing(self, job_id: uuid.UUID, passphrase: str) -> None: ...


# -- the API --------------------------------------------------------------------------------------------------------
async def create_job(uow: UnitOfWork, settings: InvoiceSettings, signers: Signers, principal: Principal,
                     body: SigningJobCreate) -> SigningJobRead:
    """The job and its items (an invoice that is not the seller's draft fails at once), started in this process."""
    npwp = acting_taxpayer(principal, body.seller_npwp)
    check_callback_url(body.callback_url, settings)
    authorize(principal, npwp, SIGN_SCOPES)
    if body.invoice_ids is None and body.upload_id is None and body.period is None:
        raise NothingToSign("choose the invoices: invoice_ids, upload_id or period")
    job_id = uuid.uuid4()
    async with uow:
        repo = SigningRepository(uow.session)
        if body.invoice_ids is not None:  # an empty list selects nothing (never "every draft")
            found = await repo.statuses(npwp, body.invoice_ids)
            ids = list(dict.fromkeys(body.invoice_ids))
        else:
            found = await repo.drafts(npwp, upload_id=body.upload_id, period=body.period)
            ids = list(found)
        if not ids:
            raise NothingToSign("no draft matches")
        items = []
        for i in ids:
            ok = found.get(i) == "draft"
            items.append({"job_id": job_id, "invoice_id": i, "state": "pending" if ok else "failed",
                          "error": None if ok else error("signing.not_signable", f"invoice_ids/{i}")})
        failed = sum(1 for it in items if it["state"] == "failed")
        finished = failed == len(items)
        await repo.add_job({
            "id": job_id, "seller_npwp": npwp, "state": "completed" if finished else "running",
            "credential_id": str(body.credential_id), "account_id": signer_account(principal),
            "requested_by": principal.acting_person, "total": len(items), "failed": failed,
            "callback_url": body.callback_url,
            "callback_client": client_of(principal) if body.callback_url else None}, items, completed=finished)
        if finished:  # finished at once: its webhook goes with it
            await _enqueue_webhook(uow.session, job_id)
        await uow.commit()
    job = await read_job(uow, principal, job_id)
    if not finished:
        signers.start_signing(job_id, body.passphrase.get_secret_value())
    return job


async def read_job(uow: UnitOfWork, principal: Principal, job_id: uuid.UUID,
                   item_state: str | None = None) -> SigningJobRead:
    """The job with its counts and its items (only those in `item_state` when given: a front-end polling a large
    job's progress, or showing what failed, need not fetch every item)."""
    async with uow:
        repo = SigningRepository(uow.session)
        job = await repo.job(job_id)
        if job is None or job["seller_npwp"] not in principal.taxpayer_ids:
            raise SigningJobNotFound()
        authorize(principal, job["seller_npwp"], READ_SCOPES)
        pending = await repo.pending_count(job_id)
        items = await repo.items(job_id, item_state)
    return SigningJobRead.model_validate({**job, "pending": pending, "items": items})


# -- a job's run ----------------------------------------------------------------------------------------------------
async def run_job(sessions: async_sessionmaker[AsyncSession], identity: IdentityClient, settings: InvoiceSettings,
                  job_id: uuid.UUID, passphrase: str) -> None:
    try:
        await _run(sessions, identity, settings, job_id, passphrase)
    except Exception as exc:  # never leave a job running because of a bug: fail what is left, with the reason
        log.exception("signing job failed", extra={"job_id": str(job_id)})
        await fail_pending(sessions, job_id, error("signing.identity_unavailable", "/", f"unexpected: {exc!r}"[:300]))


async def _run(sessions: async_sessionmaker[AsyncSession], identity: IdentityClient, settings: InvoiceSettings,
               job_id: uuid.UUID, passphrase: str) -> None:
    async with sessions() as s:
        job = await SigningRepository(s).job_row(job_id)
    while True:
        async with sessions() as s:
            repo = SigningRepository(s)
            ids = await repo.pending_chunk(job_id, settings.signing.chunk_size)
            if not ids:
                break
            rows, lines = await repo.invoices(ids)
        signable = [i for i in ids if i in rows and rows[i]["status"] == "draft"]
        not_signable = [i for i in ids if i not in signable]
        digests = {i: digest_of(rows[i], lines.get(i, [])) for i in signable}
        if not signable:  # identity refuses an empty batch: these only fail, and the job goes on
            if not await commit_chunk(sessions, job, [], not_signable, rows, digests, [], ""):
                return
            continue
        try:
            batch = await identity.sign(credential_id=job["credential_id"], passphrase=passphrase,
                                        digests=[base64.b64encode(digests[i]).decode() for i in signable],
                                        account_id=job["account_id"], acting_for=job["seller_npwp"])
        except SigningRefused as exc:
            path = "/passphrase" if exc.code in ("credential.passphrase_wrong", "credential.locked") \
                else "/credential_id"
            await fail_pending(sessions, job_id, error("signing.credential_rejected", path, exc.reason()))
            return
        except IdentityUnavailable as exc:
            await fail_pending(sessions, job_id, error("signing.identity_unavailable", "/", str(exc)[:300]))
            return
        if len(batch.signatures) != len(signable):
            await fail_pending(sessions, job_id, error("signing.identity_unavailable", "/",
                                                       f"identity returned {len(batch.signatures)} signatures "
                                                       f"for {len(signable)} digests"))
            return
        if not await commit_chunk(sessions, job, signable, not_signable, rows, digests, batch.signatures,
                                  batch.certificate_serial, batch.certificate_pem):
            return
    async with sessions() as s, s.begin():
        if await SigningRepository(s).complete(job_id):
            await _enqueue_webhook(s, job_id)


async def _enqueue_webhook(s: AsyncSession, job_id: uuid.UUID) -> None:
    """In the transaction that completes the job: its webhook, when one was asked for."""
    job = await SigningRepository(s).callback(job_id)
    if job is not None:
        await enqueue_completion(s, event_type="signing_job.completed", subject_id=job_id, url=job.callback_url,
                                 client_id=job.callback_client, state="completed",
                                 counts={"total": job.total, "signed": job.signed, "failed": job.failed})


async def commit_chunk(sessions: async_sessionmaker[AsyncSession], job: Any, signable: list[uuid.UUID],
                       not_signable: list[uuid.UUID], rows: dict[uuid.UUID, dict[str, Any]],
                       digests: dict[uuid.UUID, bytes], signatures: list[str], certificate_serial: str,
                       certificate_pem: str | None = None) -> bool:
    """Number, mark signed and publish one chunk; False (nothing written) when the job is no longer running (another
    process finished it as stale meanwhile: its items already failed, so none of them may be signed now)."""
    now = datetime.now(UTC)
    async with sessions() as s, s.begin():
        repo = SigningRepository(s)
        if await repo.lock_state(job["id"]) != "running":
            return False
        # Lock the drafts; one edited or deleted since it was digested is not signed (its content changed).
        current = await repo.lock_drafts(signable)
        ok = [(i, sig) for i, sig in zip(signable, signatures, strict=True) if current.get(i) == rows[i]["version"]]
        changed = [i for i in signable if current.get(i) != rows[i]["version"]]
        numbers: dict[uuid.UUID, str] = {}
        # Replacements take their original's serial with their status code (TT SS + the original's YY + serial);
        # the original, locked here, must still be signed, and becomes replaced in this transaction.
        originals: dict[uuid.UUID, dict[str, Any]] = {}
        wanted = sorted({rows[i]["replaces_id"] for i, _ in ok if rows[i].get("replaces_id")})
        if wanted:
            originals = await repo.lock_invoices(wanted)
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
            numbers[i] = replacement_nsfp(rows[i]["trx_code"], rows[i]["status_code"], orig["nsfp"])
        ok = [(i, sig) for i, sig in ok if i not in inactive]
        by_year: dict[int, list[uuid.UUID]] = {}
        for i, _ in ok:
            if i not in numbers:
                by_year.setdefault(rows[i]["invoice_date"].year, []).append(i)
        for year, members in sorted(by_year.items()):
            first = await repo.allocate(year, len(members))
            for offset, i in enumerate(members):
                numbers[i] = nsfp(rows[i]["trx_code"], year, first + offset)
        if ok and certificate_pem:
            await repo.keep_certificate(certificate_serial, certificate_pem, subject_name(certificate_pem))
        if ok:
            await repo.mark_signed([(i, numbers[i], sig, digests[i].hex()) for i, sig in ok],
                                   certificate_serial=certificate_serial,
                                   signer=job["account_id"] or job["requested_by"], now=now)
            events = [_signed(rows[i], numbers[i], now, job, certificate_serial) for i, _ in ok]
            for i, _ in ok:
                rid = rows[i].get("replaces_id")
                if rid is not None:
                    await repo.mark_replaced(rid, i)
                    events.append(_replaced(originals[rid], rows[i], numbers[i], now))
            await repo.add_events(events)
            await repo.set_items(job["id"], [i for i, _ in ok], "signed")
        bad = changed + not_signable
        if bad:
            await repo.set_items(job["id"], bad, "failed", error(
                "signing.not_signable", "/invoice_ids", "the invoice changed, was deleted or is not a draft any more"))
        if inactive:
            await repo.set_items(job["id"], inactive, "failed", error("signing.replaced_not_active", "/invoice_ids"))
        await repo.count(job["id"], signed=len(ok), failed=len(bad) + len(inactive))
    return True


def _signed(row: dict[str, Any], number: str, now: datetime, job: Any, certificate_serial: str) -> dict[str, Any]:
    """The outbox row of `InvoiceSigned`: its sequence is the version the signing gives the invoice."""
    event = InvoiceSigned(
        invoice_id=str(row["id"]), nsfp=number, seller_npwp=row["seller_npwp"], seller_nitku=row["seller_nitku"],
        buyer_npwp=buyer_npwp(row), buyer_document=row["buyer_document"], invoice_date=row["invoice_date"],
        period=row["period"], transaction_code=row["trx_code"], reference=row["ref_desc"], dpp=str(row["dpp"]),
        dpp_other=str(row["dpp_other"]), ppn=str(row["ppn"]), ppnbm=str(row["ppnbm"]), signed_at=now,
        signer_account_id=job["account_id"], certificate_serial=certificate_serial,
        late=signed_late(row["invoice_date"], now))
    return outbox_row(event, key=row["seller_npwp"], subject=str(row["id"]), aggregate_type=AGGREGATE,
                      sequence=row["version"] + 1)


def _replaced(original: dict[str, Any], replacement: dict[str, Any], number: str, now: datetime) -> dict[str, Any]:
    """The outbox row of `InvoiceReplaced`, on the original (its version after it became replaced)."""
    event = InvoiceReplaced(
        invoice_id=str(original["id"]), nsfp=original["nsfp"], replacement_invoice_id=str(replacement["id"]),
        replacement_nsfp=number, status_code=replacement["status_code"], seller_npwp=original["seller_npwp"],
        buyer_npwp=buyer_npwp(original), period=original["period"], replacement_period=replacement["period"],
        dpp=str(original["dpp"]), ppn=str(original["ppn"]), ppnbm=str(original["ppnbm"]),
        replacement_dpp=str(replacement["dpp"]), replacement_ppn=str(replacement["ppn"]),
        replacement_ppnbm=str(replacement["ppnbm"]), replaced_at=now)
    return outbox_row(event, key=original["seller_npwp"], subject=str(original["id"]), aggregate_type=AGGREGATE,
                      sequence=original["version"] + 1)


# -- jobs whose process stopped -------------------------------------------------------------------------------------
async def fail_pending(sessions: async_sessionmaker[AsyncSession], job_id: uuid.UUID, problem: dict[str, Any],
                       stale_after_s: int | None = None) -> None:
    """Fail what is left of a running job (only if it is still stale, when `stale_after_s` is given)."""
    async with sessions() as s, s.begin():
        repo = SigningRepository(s)
        job = await repo.lock_if_stale(job_id, stale_after_s)
        if job is None or job.state != "running":
            return
        if stale_after_s is not None and not job.stale:
            return  # it beat again meanwhile: its process is alive
        await repo.fail_pending(job_id, problem)
        await _enqueue_webhook(s, job_id)


async def recover_stale(sessions: async_sessionmaker[AsyncSession], stale_after_s: int,
                        running_here: set[uuid.UUID]) -> int:
    """Finish jobs whose process stopped (the passphrase died with it)."""
    async with sessions() as s:
        stale = [j for j in await SigningRepository(s).stale_jobs(stale_after_s) if j not in running_here]
    for job_id in stale:
        await fail_pending(sessions, job_id, error("signing.passphrase_required", "/passphrase"), stale_after_s)
    return len(stale)


async def heartbeat(sessions: async_sessionmaker[AsyncSession], job_ids: set[uuid.UUID]) -> None:
    if job_ids:
        async with sessions() as s, s.begin():
            await SigningRepository(s).beat(job_ids)
