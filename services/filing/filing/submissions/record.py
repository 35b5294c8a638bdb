"""Step 3 of submitting: one transaction checks each signed return again as if alone (refused `return.changed` when
it moved while identity signed), keeps what was signed and files it or makes it wait for payment (`outcomes`).
Set-based: the open versions locked in one statement in id order, everything read in a few, every check run in
memory, then each kind of row written in one statement (a refused return writes nothing, not even the draft its
submission would have started)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from filing.obligations.deadlines import due_date
from filing.returns.errors import ReturnChanged
from filing.returns.repository import ReturnsBatchRepository, SptRow
from filing.submissions.checks import check, facts_of, warnings_matter
from filing.submissions.errors import PaidAmountDiffers
from filing.submissions.figures import figures_of
from filing.submissions.outcomes import Filing, await_payment_many, file_many, keep_certificates
from filing.submissions.prepare import Prepared
from filing.submissions.repository import PaymentRow, SubmissionRepository, SubmissionRow
from filing.submissions.rules import PaymentPart, amount_text, digest_of, signed_document
from filing.submissions.signing import Signed
from kit.errors import AppError


@dataclass(frozen=True)
class SignedReturn:
    prepared: Prepared
    signed: Signed
    credential_id: uuid.UUID


def _changed(p: Prepared, what: str = "return") -> ReturnChanged:
    return ReturnChanged(f"the {what} changed while it was being signed: review it and submit again",
                         period=str(p.period))


async def record_many(session: AsyncSession, items: list[SignedReturn]) -> list[None | AppError]:
    """Each return's outcome, in order: None (filed or waiting for payment) or its refusal. The caller commits."""
    prepared = [x.prepared for x in items]
    outcomes: list[None | AppError] = [None] * len(prepared)
    batch = ReturnsBatchRepository(session)
    repo = SubmissionRepository(session)
    keys = [p.key for p in prepared]
    locked = await batch.lock_open_returns(keys)
    survivors: list[int] = []
    for i, p in enumerate(prepared):
        draft = locked.get(keys[i])
        if (draft is None and p.new  # started below, once every check passed
                or draft is not None and (draft.id, draft.revision, draft.status) == (p.spt_id, p.revision, "draft")):
            survivors.append(i)
        else:
            outcomes[i] = _changed(p)
    figures = await figures_of(session, [(prepared[i].npwp, prepared[i].form, prepared[i].period)
                                         for i in survivors])
    versions = await batch.versions_of([keys[i] for i in survivors])
    filed = {keys[i]: [v for v in versions[keys[i]] if v.status == "filed"] for i in survivors}
    facts = await facts_of(session, [(keys[i], prepared[i].version, filed[keys[i]]) for i in survivors],
                           warned={keys[i] for i in survivors if warnings_matter(
                               figures[keys[i]], prepared[i].period, prepared[i].submitted_at.date())})
    existing = [prepared[i].spt_id for i in survivors if not prepared[i].new]
    payments = await repo.payments_of(existing) if existing else {}

    ready: list[tuple[int, SubmissionRow, list[PaymentPart], dict[str, PaymentRow]]] = []
    dropped: list[tuple[uuid.UUID, str]] = []
    for i in survivors:
        p, key, signed = prepared[i], keys[i], items[i].signed
        try:
            these = figures[key]
            if isinstance(these, AppError):
                raise these
            content = signed_document(these.doc, spt_id=p.spt_id, version=p.version, submitted_at=p.submitted_at,
                                      signer_account_id=p.signer)
            if digest_of(content) != p.digest:
                raise _changed(p, "return's figures")
            correction = check(period=p.period, version=p.version, filed=filed[key], figures=these,
                               today=p.submitted_at.date(), facts=facts[key])
            deadline = due_date(p.form.obligation, p.period)
            submission = SubmissionRow(
                spt_id=p.spt_id, content=content.decode(), content_digest=p.digest.hex(),
                signature=signed.signature, certificate_serial=signed.certificate_serial,
                credential_id=items[i].credential_id, signer_account_id=p.signer, submitted_at=p.submitted_at,
                outcome=these.outcome, amount_payable=these.amount_payable, overpayment=these.overpayment,
                due_date=deadline.effective, payable={k: amount_text(v) for k, v in these.payable.items()},
                previous_spt_id=correction.previous.id if correction else None,
                tax_raise=correction.tax_raise if correction else Decimal(0),
                shows_overpayment_or_loss=correction.overpayment_or_loss if correction else these.overpayment_or_loss)
            parts = correction.parts if correction else [PaymentPart(k, v) for k, v in sorted(these.payable.items())]
            stored = payments.get(p.spt_id, [])
            earlier = {e.kap_kjs: e for e in stored if e.status == "paid"}
            for part in parts:
                if part.kap_kjs in earlier and earlier[part.kap_kjs].amount != part.amount:
                    raise PaidAmountDiffers(
                        f"{part.kap_kjs} was paid {amount_text(earlier[part.kap_kjs].amount)}, the return now owes "
                        f"{amount_text(part.amount)}", kap_kjs=part.kap_kjs,
                        paid=amount_text(earlier[part.kap_kjs].amount), owed=amount_text(part.amount))
        except AppError as error:
            outcomes[i] = error
            continue
        keep = {part.kap_kjs for part in parts}
        # requests of an earlier submission the return no longer owes (its PPnBM went to zero, say)
        dropped += [(p.spt_id, x.kap_kjs) for x in stored if x.status != "paid" and x.kap_kjs not in keep]
        ready.append((i, submission, parts, earlier))

    new = [prepared[i] for i, *_ in ready if prepared[i].new]
    started = await batch.add_drafts([dict(id=p.spt_id, npwp=p.npwp, form=p.form.code, period=str(p.period),
                                           version=p.version) for p in new])
    for i, *_ in ready:
        if prepared[i].new and prepared[i].spt_id not in started:  # another request started it meanwhile
            outcomes[i] = _changed(prepared[i])
    ready = [r for r in ready if outcomes[r[0]] is None]
    if not ready:
        return outcomes
    await keep_certificates(repo, {items[i].signed.certificate_serial: items[i].signed.certificate_pem
                                   for i, *_ in ready})
    await repo.save_submissions([vars(submission) for _, submission, _, _ in ready])
    kept = {prepared[i].spt_id for i, *_ in ready}
    await repo.drop_payments([x for x in dropped if x[0] in kept])
    filings: list[Filing] = []
    waiting: list[tuple[Prepared, list[PaymentPart]]] = []
    for i, submission, parts, earlier in ready:
        p = prepared[i]
        unpaid = [part for part in parts if part.kap_kjs not in earlier]
        if unpaid:
            waiting.append((p, unpaid))
            continue
        draft = locked.get(keys[i]) or SptRow(p.spt_id, p.npwp, p.form.code, str(p.period), p.version, "draft",
                                              Decimal(0), Decimal(0), 0, p.submitted_at, None)
        filings.append(Filing(draft, submission, [earlier[x.kap_kjs] for x in parts], p.submitted_at,
                              p.submitted_at))
    await file_many(session, filings, causation_id=None)
    await await_payment_many(session, waiting)
    return outcomes
