"""The signed faktur as a document: its PDF (for seller and buyer), the public verification behind its QR code (the
invoice exists, what it says in summary, whether its signature is valid for its content), and the export of a
period's output view as a TaxInvoiceBulk file."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from invoice import export, pdf
from invoice.auth import READ_SCOPES, authorize, authorize_read, visible
from invoice.documents.errors import InvoiceNotSigned, VerificationNotFound
from invoice.documents.repository import DocumentRepository
from invoice.documents.rules import mask, signature_valid
from invoice.documents.schemas import VerificationRead
from invoice.drafts.repository import InvoiceRepository
from invoice.errors import InvoiceNotFound
from invoice.taxpayers.repository import TaxpayerRepository
from kit.auth import Principal, acting_taxpayer
from kit.db import UnitOfWork


async def invoice_pdf(uow: UnitOfWork, principal: Principal, invoice_id: uuid.UUID, public_url: str) -> tuple[str, bytes]:
    """(file name, PDF bytes) of a signed invoice the caller may read (its seller's or its buyer's people)."""
    authorize_read(principal)
    async with uow:
        row = await InvoiceRepository(uow.session).get(invoice_id)
        if row is None or not visible(principal, row):
            raise InvoiceNotFound()
        if not row["nsfp"]:
            raise InvoiceNotSigned(f"the invoice is {row['status']}")
        seller = await TaxpayerRepository(uow.session).name_and_address(row["seller_npwp"])
        certificate = await DocumentRepository(uow.session).certificate(row["certificate_serial"])
    content = await asyncio.to_thread(
        pdf.render, row, row["lines"], seller=seller, signer_name=certificate["subject_name"] if certificate else None,
        url=pdf.verification_url(public_url, row["nsfp"]))
    return f"faktur-pajak-{row['nsfp']}.pdf", content


async def verification(uow: UnitOfWork, nsfp: str) -> VerificationRead:
    """What anyone holding the faktur may confirm: it exists with this NSFP, its parties' identifiers (the buyer's
    masked), date, amounts and signature status. No names, addresses or lines beyond that."""
    async with uow:
        row = await DocumentRepository(uow.session).by_nsfp(nsfp)
        if row is None:
            raise VerificationNotFound()
        seller = await TaxpayerRepository(uow.session).name_and_address(row["seller_npwp"])
        certificate = await DocumentRepository(uow.session).certificate(row["certificate_serial"])
    valid, reason = signature_valid(row, row["lines"], certificate["certificate_pem"] if certificate else None)
    return VerificationRead.model_validate({
        "nsfp": row["nsfp"], "status": row["status"], "invoice_date": row["invoice_date"],
        "transaction_code": row["trx_code"],
        "seller": {"npwp": row["seller_npwp"], "nitku": row["seller_nitku"], "name": (seller or {}).get("name")},
        "buyer": {"document": row["buyer_document"], "id_masked": mask(row["buyer_tin"])},
        "dpp": row["dpp"], "ppn": row["ppn"], "ppnbm": row["ppnbm"],
        "signature": {"valid": valid, "reason": reason, "algorithm": "ecdsa-p256-sha256",
                      "certificate_serial": row["certificate_serial"],
                      "signer": certificate["subject_name"] if certificate else None, "signed_at": row["signed_at"]},
    })


def export_period(sessions: async_sessionmaker[AsyncSession], principal: Principal, *, npwp: str | None, period: str,
                  status: str | None, transaction_code: str | None) -> tuple[str, AsyncIterator[bytes]]:
    """(file name, content) of the seller's output view of `period` as TaxInvoiceBulk XML, streamed: the invoices are
    read in keyset pages with their lines, each page in its own short read."""
    seller = acting_taxpayer(principal, npwp)
    authorize(principal, seller, READ_SCOPES)
    statuses = (status,) if status else export.DEFAULT_STATUSES
    return f"faktur-{seller}-{period}.xml", _stream(sessions, seller, period, statuses, transaction_code)


async def _stream(sessions: async_sessionmaker[AsyncSession], npwp: str, period: str, statuses: tuple[str, ...],
                  trx: str | None) -> AsyncIterator[bytes]:
    yield export.head(npwp)
    after = None
    while True:
        async with sessions() as s:
            rows, lines = await DocumentRepository(s).export_page(npwp=npwp, period=period, statuses=statuses,
                                                                   trx=trx, after=after, size=export.PAGE)
        if not rows:
            break
        yield "".join(export.invoice_xml(r, lines.get(r["id"], [])) for r in rows).encode()
        after = (rows[-1]["created_at"], rows[-1]["id"])
        if len(rows) < export.PAGE:
            break
    yield export.TAIL
