"""Use cases of the submissions slice.

Submitting an SPT Masa PPN is three steps, so that identity is never called inside an open transaction:
1. a short read: the return is owed, not filed yet (a second Normal is refused), still a draft, its due dates are
   known, and no audit of its period has started (UU KUP Art 3(7)(d)); the content to sign is built from it;
2. identity signs the content's digest with the signer's credential and passphrase (no transaction open; a refusal
   means the return is unsigned, Art 3(7)(a), and nothing is written);
3. one transaction re-reads the return (it must be the same draft with the same figures, else `return.changed`),
   keeps the signature and either files it (nil or lebih bayar: receipt, `SPTSubmitted`, and the Art 7(1) STP when
   late) or, for a kurang bayar, waits for payment ("Bayar dan Lapor": `awaiting_payment` and one
   `SPTPaymentRequested` per KAP-KJS).
payment's `PaymentConfirmed` completes a waiting return (filed at the payment's time, with its NTPN) once every
requested payment is in; its `BillingExpired` sends the return back to draft. Both run in the consumer's
transaction, and a fact seen twice (even under another event id) finds its row already moved and changes nothing.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.envelope import Envelope
from contracts.filing import SPTPaymentRequested, SPTSubmitted
from contracts.payment import BillingExpired, PaymentConfirmed
from filing.assessments import service as assessments
from filing.calendar.periods import TaxPeriod
from filing.clock import JAKARTA, Clock
from filing.corrections.rules import NORMAL, ensure_normal_allowed, version_label
from filing.identity_client import IdentityClient, IdentityUnavailable, Signatures, SigningRefused
from filing.obligations.deadlines import due_date
from filing.obligations.kinds import Obligation
from filing.registry import service as registry
from filing.returns import service as returns
from filing.returns.errors import ReturnChanged, ReturnNotDraft, ReturnNotOwed, ReturnUnsigned
from filing.returns.repository import SptRepository, SptRow
from filing.returns.rules import Submission, ensure_considered_filed, not_filed_reasons
from filing.sanctions import service as sanctions
from filing.sanctions.stp import bill_due_date
from filing.submissions import pdf
from filing.submissions.errors import PaidAmountDiffers, ReceiptNotFound, SignerUnavailable, SubmissionNotFound
from filing.submissions.repository import PaymentRow, ReceiptRow, SubmissionRepository, SubmissionRow
from filing.submissions.rules import (
    amount_text,
    digest_of,
    mask_npwp,
    payment_parts,
    receipt_number,
    signature_valid,
    signed_content,
    signer_account,
    subject_name,
)
from filing.submissions.schemas import (
    PaymentRead,
    ReceiptRead,
    ReceiptVerificationRead,
    SubmissionCreate,
    SubmissionRead,
)
from kit.auth import Principal, acting_taxpayer
from kit.db import UnitOfWork
from kit.outbox import publish

log = logging.getLogger(__name__)
SUBMIT, READ = "filing:submit", "filing:read"
FORM = Obligation.SPT_MASA_PPN
AGGREGATE = "spt"
WHOLE = Decimal(1)


@dataclass(frozen=True)
class _Prepared:
    """What step 1 found and step 3 must find again."""

    npwp: str
    masa: TaxPeriod
    spt_id: uuid.UUID
    version: int
    revision: int  # of the draft; 0 for one the submission starts
    new: bool  # no draft yet: step 3 starts it with `spt_id`
    submitted_at: datetime
    signer: str | None
    digest: bytes
    audit_started_on: date | None


# -- submission (API) ------------------------------------------------------------------------------------------------
async def submit_spt_masa_ppn(uow: UnitOfWork, identity: IdentityClient, clock: Clock, principal: Principal, *,
                              npwp: str | None, period: str, body: SubmissionCreate, public_url: str
                              ) -> SubmissionRead:
    principal.require(SUBMIT)
    npwp = acting_taxpayer(principal, npwp)
    masa = TaxPeriod.parse(period)
    now = clock.now()
    async with uow:
        prepared = await _prepare(uow.session, npwp=npwp, masa=masa, now=now, signer=signer_account(principal),
                                  expected_revision=body.revision)
    signed = await _sign(identity, prepared, body)
    async with uow:
        await _submit(uow.session, prepared, signed, credential_id=body.credential_id)
        result = await _read(uow.session, prepared.spt_id, public_url)
        await uow.commit()
    return result


async def _prepare(session: AsyncSession, *, npwp: str, masa: TaxPeriod, now: datetime, signer: str | None,
                   expected_revision: int | None) -> _Prepared:
    period = str(masa)
    if not (await registry.registered(session, npwp)).is_pkp_in(masa):
        raise ReturnNotOwed(f"{npwp} was not a PKP in {masa}: no SPT Masa PPN is owed", npwp=npwp, period=period)
    spts = SptRepository(session)
    draft = await spts.open_return(npwp, FORM.value, period)
    ensure_normal_allowed([v for v in await spts.versions(npwp, FORM.value, period)
                           if draft is None or v != draft.version])
    if draft is not None and draft.status != "draft":
        raise ReturnNotDraft(f"version {draft.version} is {draft.status}", spt_id=str(draft.id), status=draft.status)
    revision = draft.revision if draft is not None else 0
    if expected_revision is not None and expected_revision != revision:
        raise ReturnChanged(f"the draft is at revision {revision}, not {expected_revision}", path="/revision",
                            revision=revision)
    # Every date the filing needs, before anything is signed (`calendar.year_unknown` otherwise).
    today = now.date()
    deadline = due_date(FORM, masa)
    due_date(Obligation.PPN_PAYMENT, masa)
    if today > deadline.effective:
        bill_due_date(today)  # the late-filing STP's
    audit = await assessments.audit_started_on(session, npwp, FORM.value, period)
    ensure_considered_filed(Submission(period=masa, submitted_on=today, signed=True, audit_started_on=audit))
    spt_id = draft.id if draft is not None else uuid.uuid4()
    version = draft.version if draft is not None else NORMAL
    content = signed_content(await returns.view(session, npwp, masa), spt_id=spt_id, version=version,
                             submitted_at=now, signer_account_id=signer)
    return _Prepared(npwp, masa, spt_id, version, revision, draft is None, now, signer, digest_of(content), audit)


async def _sign(identity: IdentityClient, prepared: _Prepared, body: SubmissionCreate) -> Signatures:
    """Identity's signature over the digest. A refusal leaves the return unsigned: not filed (Art 3(7)(a))."""
    try:
        signed = await identity.sign(credential_id=str(body.credential_id),
                                     passphrase=body.passphrase.get_secret_value(),
                                     digests=[base64.b64encode(prepared.digest).decode()],
                                     account_id=prepared.signer, acting_for=prepared.npwp)
    except SigningRefused as refused:
        reasons = not_filed_reasons(Submission(period=prepared.masa, submitted_on=prepared.submitted_at.date(),
                                               signed=False, audit_started_on=prepared.audit_started_on))
        path = "/passphrase" if refused.code in ("credential.passphrase_wrong", "credential.locked") \
            else "/credential_id"
        known = {k: refused.details[k] for k in ("attempts_remaining", "locked_until") if k in refused.details}
        raise ReturnUnsigned(f"the SPT is not signed: {refused.reason()}", reasons=[r.value for r in reasons],
                             signer_code=refused.code, path=path, **known) from None
    except IdentityUnavailable as exc:
        raise SignerUnavailable(f"identity: {exc}"[:300]) from None
    if len(signed.signatures) != 1:
        raise SignerUnavailable(f"identity returned {len(signed.signatures)} signatures for 1 digest")
    return signed


async def _submit(session: AsyncSession, prepared: _Prepared, signed: Signatures, *,
                  credential_id: uuid.UUID) -> None:
    p = prepared
    period = str(p.masa)
    spts = SptRepository(session)
    draft = await spts.open_return(p.npwp, FORM.value, period, lock=True)
    if p.new and draft is None and await spts.add_draft(npwp=p.npwp, form=FORM.value, period=period,
                                                        version=p.version, spt_id=p.spt_id):
        draft = await spts.open_return(p.npwp, FORM.value, period, lock=True)
    if draft is None or (draft.id, draft.revision, draft.status) != (p.spt_id, p.revision, "draft"):
        raise ReturnChanged("the return changed while it was being signed: review it and submit again",
                            period=period)
    view = await returns.view(session, p.npwp, p.masa)
    content = signed_content(view, spt_id=p.spt_id, version=p.version, submitted_at=p.submitted_at,
                             signer_account_id=p.signer)
    if digest_of(content) != p.digest:
        raise ReturnChanged("the return's figures changed while it was being signed: review it and submit again",
                            period=period)
    audit = await assessments.audit_started_on(session, p.npwp, FORM.value, period)
    ensure_considered_filed(Submission(period=p.masa, submitted_on=p.submitted_at.date(), signed=True,
                                       audit_started_on=audit))
    deadline = due_date(FORM, p.masa)
    repo = SubmissionRepository(session)
    pem = signed.certificate_pem
    await repo.keep_certificate(signed.certificate_serial, pem, await asyncio.to_thread(subject_name, pem))
    submission = SubmissionRow(
        spt_id=p.spt_id, content=content.decode(), content_digest=p.digest.hex(), signature=signed.signatures[0],
        certificate_serial=signed.certificate_serial, credential_id=credential_id, signer_account_id=p.signer,
        submitted_at=p.submitted_at, outcome=view.outcome.value, amount_payable=view.amount_due,
        overpayment=view.overpayment, due_date=deadline.effective)
    await repo.save_submission(vars(submission))

    parts = payment_parts(view.amount_due, view.ppnbm_owed)
    earlier = {e.kap_kjs: e for e in await repo.payments(p.spt_id) if e.status == "paid"}
    for part in parts:
        if part.kap_kjs in earlier and earlier[part.kap_kjs].amount != part.amount:
            raise PaidAmountDiffers(f"{part.kap_kjs} was paid {amount_text(earlier[part.kap_kjs].amount)}, the "
                                    f"return now owes {amount_text(part.amount)}", kap_kjs=part.kap_kjs,
                                    paid=amount_text(earlier[part.kap_kjs].amount), owed=amount_text(part.amount))
    await repo.drop_unpaid_payments(p.spt_id, keep=[part.kap_kjs for part in parts])
    unpaid = [part for part in parts if part.kap_kjs not in earlier]
    if not unpaid:
        await _file(session, spt=draft, submission=submission, payments=[earlier[x.kap_kjs] for x in parts],
                    filed_at=p.submitted_at, issued_at=p.submitted_at, causation_id=None)
        return
    revision = await repo.set_status(p.spt_id, "awaiting_payment")
    payment_due = due_date(Obligation.PPN_PAYMENT, p.masa).effective
    for part in unpaid:
        await repo.request_payment(spt_id=p.spt_id, kap_kjs=part.kap_kjs, amount=part.amount,
                                   payment_due_date=payment_due, requested_at=p.submitted_at)
        await publish(session, SPTPaymentRequested(
            spt_id=str(p.spt_id), npwp=p.npwp, form=FORM.value, period=period, spt_version=p.version,
            kap_kjs=part.kap_kjs, amount=amount_text(part.amount), payment_due_date=payment_due,
            requested_at=p.submitted_at,
        ), key=p.npwp, subject=str(p.spt_id), aggregate_type=AGGREGATE, sequence=revision)


async def _file(session: AsyncSession, *, spt: SptRow, submission: SubmissionRow, payments: list[PaymentRow],
                filed_at: datetime, issued_at: datetime, causation_id: str | None) -> None:
    """The return is filed: its receipt, `SPTSubmitted`, and the Art 7(1) STP when it is late (same transaction)."""
    repo = SubmissionRepository(session)
    filed_on = filed_at.astimezone(JAKARTA).date()
    late = filed_on > submission.due_date
    paid = sorted((x for x in payments if x.status == "paid"), key=lambda x: x.kap_kjs)  # PPN (411211) first
    first = paid[0] if paid else None
    payment_date = first.paid_at.astimezone(JAKARTA).date() if first is not None and first.paid_at else None
    number = receipt_number(filed_on)
    await repo.add_receipt(dict(
        number=number, spt_id=spt.id, npwp=spt.npwp, form=spt.form, period=spt.period, spt_version=spt.version,
        filed_at=filed_at, issued_at=issued_at, content_digest=submission.content_digest,
        due_date=submission.due_date, late=late, billing_code=first.billing_code if first else None,
        ntpn=first.ntpn if first else None, payment_date=payment_date))
    revision = await repo.set_status(spt.id, "filed", filed_at=filed_at)
    await publish(session, SPTSubmitted(
        spt_id=str(spt.id), npwp=spt.npwp, form=spt.form, period=spt.period, spt_version=spt.version,
        filed_at=filed_at, receipt_number=number, content_digest=submission.content_digest,
        outcome=submission.outcome,  # type: ignore[arg-type]
        amount_payable=amount_text(submission.amount_payable), overpayment=amount_text(submission.overpayment),
        due_date=submission.due_date, late=late, billing_code=first.billing_code if first else None,
        ntpn=first.ntpn if first else None, payment_date=payment_date,
        signer_account_id=submission.signer_account_id,
    ), key=spt.npwp, subject=str(spt.id), aggregate_type=AGGREGATE, sequence=revision, causation_id=causation_id)
    if late:
        await sanctions.issue_late_filing_stp(session, npwp=spt.npwp, obligation=Obligation(spt.form),
                                              period=spt.period, spt_id=spt.id,
                                              issued_on=issued_at.astimezone(JAKARTA).date(),
                                              causation_id=causation_id)


# -- payment's events (in the consumer's transaction) ----------------------------------------------------------------
def _spt_id(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


async def record_payment(session: AsyncSession, clock: Clock, envelope: Envelope, event: PaymentConfirmed) -> None:
    """A payment of a waiting return's billing code. Once every payment it asked for is in, the return is filed at
    the time of the last one (the legal payment date), with the NTPN on its receipt."""
    spt_id = _spt_id(event.spt_id) if event.settles == "spt" else None
    if spt_id is None:
        return
    repo = SubmissionRepository(session)
    spt = await repo.lock_spt(spt_id)
    if spt is None:
        log.warning("payment for an unknown SPT", extra={"spt_id": event.spt_id, "payment_id": event.payment_id})
        return
    if not await repo.mark_paid(spt_id=spt_id, kap_kjs=event.kap_kjs, billing_code=event.billing_code,
                                ntpn=event.ntpn, paid_at=event.paid_at, payment_id=event.payment_id):
        return  # already recorded, or nothing was asked under this KAP-KJS
    if spt.status != "awaiting_payment":
        return  # paid after the return went back to draft: it counts when the return is submitted again
    payments = await repo.payments(spt_id)
    if any(x.status != "paid" for x in payments):
        return
    submission = await repo.submission(spt_id)
    if submission is None:
        raise RuntimeError(f"SPT {spt_id} awaits payment without a signed submission")
    filed_at = max(x.paid_at for x in payments if x.paid_at is not None)
    await _file(session, spt=spt, submission=submission, payments=payments, filed_at=filed_at,
                issued_at=clock.now(), causation_id=str(envelope.id))


async def record_billing_expired(session: AsyncSession, envelope: Envelope, event: BillingExpired) -> None:
    """A waiting return's billing code expired unpaid: the return goes back to draft (to be reviewed and submitted
    again). An expiry older than the return's latest request (it was submitted again since) changes nothing."""
    spt_id = _spt_id(event.spt_id) if event.origin == "spt" else None
    if spt_id is None:
        return
    repo = SubmissionRepository(session)
    spt = await repo.lock_spt(spt_id)
    if spt is None or not await repo.expire(spt_id=spt_id, kap_kjs=event.kap_kjs, expired_at=event.expired_at):
        return
    if spt.status == "awaiting_payment":
        await repo.set_status(spt_id, "draft")


# -- reading ---------------------------------------------------------------------------------------------------------
async def get_submission(uow: UnitOfWork, principal: Principal, *, npwp: str | None, period: str,
                         public_url: str) -> SubmissionRead:
    """The newest submitted version of the period: awaiting payment, or filed with its receipt."""
    principal.require(READ)
    npwp = acting_taxpayer(principal, npwp)
    masa = TaxPeriod.parse(period)
    async with uow:
        spt = await SubmissionRepository(uow.session).latest_submitted(npwp, FORM.value, str(masa))
        if spt is None:
            raise SubmissionNotFound(f"no SPT Masa PPN of {masa} was submitted", period=str(masa))
        return await _read(uow.session, spt.id, public_url)


async def _read(session: AsyncSession, spt_id: uuid.UUID, public_url: str) -> SubmissionRead:
    repo = SubmissionRepository(session)
    spt = await _spt(repo, spt_id)
    submission = await repo.submission(spt_id)
    if submission is None:
        raise SubmissionNotFound("the return was not submitted")
    receipt = await repo.receipt_of(spt_id)
    return SubmissionRead(
        spt_id=spt.id, npwp=spt.npwp, form=spt.form, period=spt.period, spt_version=spt.version,
        version_label=version_label(spt.version), status=spt.status,  # type: ignore[arg-type]
        revision=spt.revision, submitted_at=submission.submitted_at, content_digest=submission.content_digest,
        signer_account_id=submission.signer_account_id, certificate_serial=submission.certificate_serial,
        outcome=submission.outcome,  # type: ignore[arg-type]
        amount_payable=submission.amount_payable.quantize(WHOLE), overpayment=submission.overpayment.quantize(WHOLE),
        due_date=submission.due_date,
        payments=[PaymentRead(kap_kjs=x.kap_kjs, amount=x.amount.quantize(WHOLE), status=x.status,  # type: ignore[arg-type]
                              payment_due_date=x.payment_due_date, requested_at=x.requested_at,
                              billing_code=x.billing_code, ntpn=x.ntpn, paid_at=x.paid_at)
                  for x in await repo.payments(spt_id)],
        receipt=_receipt(receipt, public_url) if receipt is not None else None,
        stps=await sanctions.stps_of(session, [spt_id]))


async def _spt(repo: SubmissionRepository, spt_id: uuid.UUID) -> SptRow:
    spt = await repo.spt(spt_id)
    if spt is None:
        raise SubmissionNotFound("no such return")
    return spt


def _receipt(row: ReceiptRow, public_url: str) -> ReceiptRead:
    return ReceiptRead(
        number=row.number, spt_id=row.spt_id, npwp=row.npwp, form=row.form, period=row.period,
        spt_version=row.spt_version, version_label=version_label(row.spt_version), filed_at=row.filed_at,
        issued_at=row.issued_at, content_digest=row.content_digest, due_date=row.due_date, late=row.late,
        billing_code=row.billing_code, ntpn=row.ntpn, payment_date=row.payment_date,
        verification_url=pdf.verification_url(public_url, row.number))


async def get_receipt(uow: UnitOfWork, principal: Principal, number: str, public_url: str) -> ReceiptRead:
    principal.require(READ)
    async with uow:
        row = await SubmissionRepository(uow.session).receipt(number)
    if row is None or row.npwp not in principal.taxpayer_ids:
        raise ReceiptNotFound()
    return _receipt(row, public_url)


async def verify_receipt(uow: UnitOfWork, number: str) -> ReceiptVerificationRead:
    """Public: that a receipt with this number exists, for which masked NPWP, form and period, when it was filed,
    and whether the signed content still matches its digest and signature. Nothing else."""
    async with uow:
        repo = SubmissionRepository(uow.session)
        row = await repo.receipt(number)
        if row is None:
            raise ReceiptNotFound()
        submission = await repo.submission(row.spt_id)
        certificate = await repo.certificate(submission.certificate_serial) if submission else None
    if submission is None or certificate is None:
        valid, reason = False, "the signed content or its certificate is not on record"
    elif submission.content_digest != row.content_digest:
        valid, reason = False, "the receipt's digest is not the one of the signed content"
    else:
        valid, reason = await asyncio.to_thread(signature_valid, submission.content, row.content_digest,
                                                submission.signature, certificate[0])
    return ReceiptVerificationRead(number=row.number, npwp_masked=mask_npwp(row.npwp), form=row.form,
                                   period=row.period, filed_at=row.filed_at, content_digest=row.content_digest,
                                   valid=valid, reason=reason)


async def receipt_pdf(uow: UnitOfWork, principal: Principal, number: str, public_url: str) -> tuple[str, bytes]:
    """(file name, PDF) of a receipt, with a QR code to its public verification."""
    receipt = await get_receipt(uow, principal, number, public_url)
    async with uow:
        repo = SubmissionRepository(uow.session)
        submission = await repo.submission(receipt.spt_id)
        certificate = await repo.certificate(submission.certificate_serial) if submission else None
        name = (await registry.registered(uow.session, receipt.npwp)).name
    if submission is None:
        raise ReceiptNotFound()
    content = await asyncio.to_thread(pdf.render, receipt, submission.content, taxpayer_name=name,
                                      signer_name=certificate[1] if certificate else None,
                                      certificate_serial=submission.certificate_serial)
    return f"bpe-{receipt.number}.pdf", content
