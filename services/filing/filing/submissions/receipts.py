"""Receipts (BPE) of filed returns: read by the taxpayer (JSON, or a PDF drawn on read, with a QR code to the
public verification) and verified by anyone holding one (the stored content still hashes to the receipt's digest and
the signature verifies with the certificate that made it)."""

from __future__ import annotations

import asyncio

from filing.registry import service as registry
from filing.submissions import pdf
from filing.submissions.errors import ReceiptNotFound
from filing.submissions.reading import READ, receipt_read
from filing.submissions.repository import SubmissionRepository
from filing.submissions.rules import mask_npwp, signature_valid
from filing.submissions.schemas import ReceiptRead, ReceiptVerificationRead
from kit.auth import Principal
from kit.db import UnitOfWork


async def get_receipt(uow: UnitOfWork, principal: Principal, number: str, public_url: str) -> ReceiptRead:
    principal.require(READ)
    async with uow:
        row = await SubmissionRepository(uow.session).receipt(number)
    if row is None or row.npwp not in principal.taxpayer_ids:
        raise ReceiptNotFound()
    return receipt_read(row, public_url)


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
