"""Submitted returns as the API reads them: awaiting payment, or filed with their receipt and STPs; a handful of
statements for any number of returns (a batch answers each of its items with one)."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from filing.corrections.rules import version_label
from filing.sanctions import service as sanctions
from filing.submissions import pdf
from filing.submissions.errors import SubmissionNotFound
from filing.submissions.figures import PPN_FORM, form_of
from filing.submissions.repository import ReceiptRow, SubmissionRepository
from filing.submissions.schemas import PaymentRead, ReceiptRead, SubmissionRead
from kit.auth import Principal, acting_taxpayer
from kit.db import UnitOfWork

READ = "filing:read"
WHOLE = Decimal(1)


async def get_submission(uow: UnitOfWork, principal: Principal, *, npwp: str | None, period: str,
                         public_url: str, form: str = PPN_FORM) -> SubmissionRead:
    """The newest submitted version of the period: awaiting payment, or filed with its receipt."""
    principal.require(READ)
    npwp = acting_taxpayer(principal, npwp)
    f = form_of(form)
    p = f.period(period)
    async with uow:
        spt = await SubmissionRepository(uow.session).latest_submitted(npwp, f.code, str(p))
        if spt is None:
            raise SubmissionNotFound(f"no {f.title} of {p} was submitted", period=str(p))
        return (await read_many(uow.session, [spt.id], public_url))[spt.id]


async def read_many(session: AsyncSession, spt_ids: list[uuid.UUID], public_url: str
                    ) -> dict[uuid.UUID, SubmissionRead]:
    """Two statements (three when one bears an STP) for any number."""
    repo = SubmissionRepository(session)
    found, payments = await repo.submitted_of(spt_ids), await repo.payments_of(spt_ids)
    reads: dict[uuid.UUID, SubmissionRead] = {}
    for spt_id in spt_ids:
        if spt_id not in found:
            raise SubmissionNotFound("no such return")
        spt, submission, receipt, fined = found[spt_id]
        if submission is None:
            raise SubmissionNotFound("the return was not submitted")
        stps = await sanctions.stps_of(session, [spt_id]) if fined else []
        reads[spt_id] = SubmissionRead(
            spt_id=spt.id, npwp=spt.npwp, form=spt.form, period=spt.period, spt_version=spt.version,
            version_label=version_label(spt.version), status=spt.status,  # type: ignore[arg-type]
            revision=spt.revision, submitted_at=submission.submitted_at, content_digest=submission.content_digest,
            signer_account_id=submission.signer_account_id, certificate_serial=submission.certificate_serial,
            outcome=submission.outcome,  # type: ignore[arg-type]
            amount_payable=submission.amount_payable.quantize(WHOLE),
            overpayment=submission.overpayment.quantize(WHOLE), due_date=submission.due_date,
            previous_spt_id=submission.previous_spt_id, tax_raise=submission.tax_raise.quantize(WHOLE),
            shows_overpayment_or_loss=submission.shows_overpayment_or_loss,
            payments=[PaymentRead(kap_kjs=x.kap_kjs, amount=x.amount.quantize(WHOLE),
                                  status=x.status,  # type: ignore[arg-type]
                                  payment_due_date=x.payment_due_date, requested_at=x.requested_at,
                                  billing_code=x.billing_code, ntpn=x.ntpn, paid_at=x.paid_at,
                                  arrangement_id=x.arrangement_id)
                      for x in payments[spt_id]],
            receipt=receipt_read(receipt, public_url) if receipt is not None else None, stps=stps)
    return reads


def receipt_read(row: ReceiptRow, public_url: str) -> ReceiptRead:
    return ReceiptRead(
        number=row.number, spt_id=row.spt_id, npwp=row.npwp, form=row.form, period=row.period,
        spt_version=row.spt_version, version_label=version_label(row.spt_version), filed_at=row.filed_at,
        issued_at=row.issued_at, content_digest=row.content_digest, due_date=row.due_date, late=row.late,
        billing_code=row.billing_code, ntpn=row.ntpn, payment_date=row.payment_date,
        verification_url=pdf.verification_url(public_url, row.number))
