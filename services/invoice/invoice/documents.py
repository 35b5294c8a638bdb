"""The signed faktur as a document: its PDF (for seller and buyer) and the public verification behind its QR code,
which confirms the invoice exists, what it says in summary, and whether its signature is valid for its content."""

from __future__ import annotations

import asyncio
import base64
import uuid
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from invoice import pdf, service
from invoice.errors import InvoiceNotSigned, VerificationNotFound
from invoice.models import invoice, invoice_line, signing_certificate, taxpayer
from invoice.signing import digest_of
from kit.auth import Principal
from kit.db import UnitOfWork


async def _seller(session: AsyncSession, npwp: str) -> dict[str, Any] | None:
    row = (await session.execute(select(taxpayer.c.name, taxpayer.c.address).where(taxpayer.c.npwp == npwp))
           ).mappings().first()
    return dict(row) if row else None


async def _certificate(session: AsyncSession, serial: str | None) -> dict[str, Any] | None:
    if not serial:
        return None
    row = (await session.execute(select(signing_certificate).where(signing_certificate.c.serial == serial))
           ).mappings().first()
    return dict(row) if row else None


async def invoice_pdf(uow: UnitOfWork, principal: Principal, invoice_id: uuid.UUID, public_url: str) -> tuple[str, bytes]:
    """(file name, PDF bytes) of a signed invoice the caller may read (its seller's or its buyer's people)."""
    row = await service.get_invoice(uow, principal, invoice_id)
    if not row["nsfp"]:
        raise InvoiceNotSigned(f"the invoice is {row['status']}")
    async with uow:
        seller = await _seller(uow.session, row["seller_npwp"])
        certificate = await _certificate(uow.session, row["certificate_serial"])
    content = await asyncio.to_thread(
        pdf.render, row, row["lines"], seller=seller, signer_name=certificate["subject_name"] if certificate else None,
        url=pdf.verification_url(public_url, row["nsfp"]))
    return f"faktur-pajak-{row['nsfp']}.pdf", content


def _mask(value: str | None) -> str | None:
    return None if not value else "*" * (len(value) - 4) + value[-4:]


def signature_valid(row: dict[str, Any], lines: list[dict[str, Any]], certificate_pem: str | None) -> tuple[bool, str]:
    """(valid, reason): the content still hashes to the signed digest and the signature verifies with the
    certificate that made it."""
    if not row.get("signature") or not certificate_pem:
        return False, "no signature or certificate on record"
    digest = digest_of(row, lines)
    if digest.hex() != row.get("content_digest"):
        return False, "the invoice's content does not match what was signed"
    key = x509.load_pem_x509_certificate(certificate_pem.encode()).public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey):
        return False, "unexpected key type"
    try:
        key.verify(base64.b64decode(row["signature"]), digest, ec.ECDSA(Prehashed(hashes.SHA256())))
    except (InvalidSignature, ValueError):
        return False, "the signature does not verify with the signer's certificate"
    return True, "the signature is valid for this invoice's content"


async def verification(uow: UnitOfWork, nsfp: str) -> dict[str, Any]:
    """What anyone holding the faktur may confirm: it exists with this NSFP, its parties' identifiers (the buyer's
    masked), date, amounts and signature status. No names, addresses or lines beyond that."""
    async with uow:
        s = uow.session
        row = (await s.execute(select(invoice).where(invoice.c.nsfp == nsfp, invoice.c.status != "draft"))
               ).mappings().first()
        if row is None:
            raise VerificationNotFound()
        row = dict(row)
        lines = [dict(r) for r in (await s.execute(select(invoice_line).where(invoice_line.c.invoice_id == row["id"])
                                                   .order_by(invoice_line.c.line_no))).mappings()]
        seller = await _seller(s, row["seller_npwp"])
        certificate = await _certificate(s, row["certificate_serial"])
    valid, reason = signature_valid(row, lines, certificate["certificate_pem"] if certificate else None)
    return {
        "nsfp": row["nsfp"], "status": row["status"], "invoice_date": row["invoice_date"],
        "transaction_code": row["trx_code"],
        "seller": {"npwp": row["seller_npwp"], "nitku": row["seller_nitku"], "name": (seller or {}).get("name")},
        "buyer": {"document": row["buyer_document"], "id_masked": _mask(row["buyer_tin"])},
        "dpp": row["dpp"], "ppn": row["ppn"], "ppnbm": row["ppnbm"],
        "signature": {"valid": valid, "reason": reason, "algorithm": "ecdsa-p256-sha256",
                      "certificate_serial": row["certificate_serial"],
                      "signer": certificate["subject_name"] if certificate else None, "signed_at": row["signed_at"]},
    }
