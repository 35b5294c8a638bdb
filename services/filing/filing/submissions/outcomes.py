"""What a signed return becomes in the filing transaction: filed (its receipt, `SPTSubmitted` for a Normal or
`SPTCorrected` for a pembetulan, the Art 7(1) STP when a Normal is late, the Art 8(2)/(2a) interest STP of a
pembetulan's raise), or waiting for payment ("Bayar dan Lapor": `awaiting_payment` and one `SPTPaymentRequested`
per KAP-KJS). Receipts, states and events are one statement each for any number of returns; the STPs (exceptions in
a batch) one by one. Nothing here renders a PDF: the receipt's is drawn when it is read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.filing import SPTCorrected, SPTPaymentRequested, SPTSubmitted
from filing.corrections.rules import NORMAL, correction_interest, correction_interest_start
from filing.returns.repository import SptRow
from filing.sanctions import service as sanctions
from filing.submissions.figures import form_of, payment_due
from filing.submissions.prepare import Prepared
from filing.submissions.repository import PaymentRow, SubmissionRepository, SubmissionRow
from filing.submissions.rules import PaymentPart, amount_text, receipt_number
from kit.clock import JAKARTA
from kit.outbox import outbox_row
from kit.signing import subject_name

AGGREGATE = "spt"
_holder = lru_cache(maxsize=256)(subject_name)  # a certificate signs many returns: its name is read once
# Certificates seen stored (committed): rows are never removed, so they are not written (nor waited on: two
# transactions inserting one serial take turns at its unique key) again by this process.
_stored: set[str] = set()


@dataclass(frozen=True)
class Filing:
    """A return to file now: its row, what was signed, its payments, when it counts as filed and when issued."""

    spt: SptRow
    submission: SubmissionRow
    payments: list[PaymentRow]
    filed_at: datetime
    issued_at: datetime


async def keep_certificates(repo: SubmissionRepository, certificates: dict[str, str]) -> None:
    """The certificates (serial -> PEM) that signed, with their holder's name, kept once each."""
    unknown = {k: v for k, v in certificates.items() if k not in _stored}
    if not unknown:
        return
    stored = await repo.stored_certificates(list(unknown))
    _stored.update(stored)
    for serial, pem in unknown.items():
        if serial not in stored:
            await repo.keep_certificate(serial, pem, _holder(pem))


async def file_many(session: AsyncSession, filings: list[Filing], *, causation_id: str | None) -> None:
    if not filings:
        return
    repo = SubmissionRepository(session)
    receipts: list[dict[str, Any]] = []
    done: list[tuple[Filing, str, bool, PaymentRow | None, date | None]] = []
    for f in filings:
        spt, submission = f.spt, f.submission
        filed_on = f.filed_at.astimezone(JAKARTA).date()
        correction = spt.version != NORMAL
        late = not correction and filed_on > submission.due_date  # a pembetulan is not filed late: the Normal was
        paid = sorted((x for x in f.payments if x.status == "paid"), key=lambda x: x.kap_kjs)  # PPN (411211) first
        first = paid[0] if paid else None
        payment_date = first.paid_at.astimezone(JAKARTA).date() if first is not None and first.paid_at else None
        number = receipt_number(filed_on)
        receipts.append(dict(
            number=number, spt_id=spt.id, npwp=spt.npwp, form=spt.form, period=spt.period, spt_version=spt.version,
            filed_at=f.filed_at, issued_at=f.issued_at, content_digest=submission.content_digest,
            due_date=submission.due_date, late=late, billing_code=first.billing_code if first else None,
            ntpn=first.ntpn if first else None, payment_date=payment_date))
        done.append((f, number, late, first, payment_date))
    await repo.add_receipts(receipts)
    revisions = await repo.set_statuses([(f.spt.id, "filed", f.filed_at) for f in filings])
    previous_ids = [f.submission.previous_spt_id for f in filings
                    if f.spt.version != NORMAL and f.submission.previous_spt_id]
    previous = await repo.spts(previous_ids) if previous_ids else {}
    events: list[dict[str, Any]] = []
    for f, number, late, first, payment_date in done:
        spt, submission = f.spt, f.submission
        common: dict[str, Any] = dict(
            spt_id=str(spt.id), npwp=spt.npwp, form=spt.form, period=spt.period, spt_version=spt.version,
            filed_at=f.filed_at, receipt_number=number, content_digest=submission.content_digest,
            outcome=submission.outcome, amount_payable=amount_text(submission.amount_payable),
            overpayment=amount_text(submission.overpayment), billing_code=first.billing_code if first else None,
            ntpn=first.ntpn if first else None, payment_date=payment_date,
            signer_account_id=submission.signer_account_id)
        if spt.version != NORMAL:
            before = previous.get(submission.previous_spt_id) if submission.previous_spt_id else None
            event: SPTSubmitted | SPTCorrected = SPTCorrected(
                **common, previous_spt_id=str(submission.previous_spt_id),
                previous_spt_version=before.version if before else spt.version - 1,
                tax_raise=amount_text(submission.tax_raise),
                shows_overpayment_or_loss=submission.shows_overpayment_or_loss)
        else:
            event = SPTSubmitted(**common, due_date=submission.due_date, late=late)
        events.append(outbox_row(event, key=spt.npwp, subject=str(spt.id), aggregate_type=AGGREGATE,
                                 sequence=revisions[spt.id], causation_id=causation_id))
    await repo.add_events(events)
    for f, _, late, _, _ in done:
        spt = f.spt
        form = form_of(spt.form)
        issued_on = f.issued_at.astimezone(JAKARTA).date()
        if late:
            await sanctions.issue_late_filing_stp(session, npwp=spt.npwp, obligation=form.obligation,
                                                  period=spt.period, spt_id=spt.id, issued_on=issued_on,
                                                  causation_id=causation_id, form=spt.form,
                                                  pph_kap=form.schema.kap if form.schema else None)
        if spt.version != NORMAL:
            filed_on = f.filed_at.astimezone(JAKARTA).date()
            starts = correction_interest_start(form.obligation, form.period(spt.period))
            for part in sorted((x for x in f.payments if x.status == "paid"), key=lambda x: x.kap_kjs):
                charge = correction_interest(part.amount, starts_on=starts, paid_on=part.paid_at.astimezone(
                    JAKARTA).date() if part.paid_at else filed_on)
                if charge.amount > 0:
                    await sanctions.issue_correction_interest_stp(
                        session, npwp=spt.npwp, form=spt.form, period=spt.period, spt_id=spt.id,
                        kap_kjs=part.kap_kjs, charge=charge, issued_on=issued_on, causation_id=causation_id)


async def await_payment_many(session: AsyncSession, waiting: list[tuple[Prepared, list[PaymentPart]]]) -> None:
    """"Bayar dan Lapor": each return awaits its payments, one `SPTPaymentRequested` per KAP-KJS."""
    if not waiting:
        return
    repo = SubmissionRepository(session)
    revisions = await repo.set_statuses([(p.spt_id, "awaiting_payment", None) for p, _ in waiting])
    requests: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for p, unpaid in waiting:
        due = payment_due(p.form.obligation, p.period)
        for part in unpaid:
            requests.append(dict(spt_id=p.spt_id, kap_kjs=part.kap_kjs, amount=part.amount, status="requested",
                                 payment_due_date=due, requested_at=p.submitted_at))
            events.append(outbox_row(SPTPaymentRequested(
                spt_id=str(p.spt_id), npwp=p.npwp, form=p.form.code, period=str(p.period), spt_version=p.version,
                kap_kjs=part.kap_kjs, amount=amount_text(part.amount), payment_due_date=due,
                requested_at=p.submitted_at,
            ), key=p.npwp, subject=str(p.spt_id), aggregate_type=AGGREGATE, sequence=revisions[p.spt_id]))
    await repo.request_payments(requests)
    await repo.add_events(events)
