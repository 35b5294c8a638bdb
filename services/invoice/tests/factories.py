"""One way to make what invoice tests need: a seller in the taxpayer replica (with a PKP period), tokens and principals
acting for a taxpayer, a draft (through the drafts use case, so its rows are what the API writes) and a signed
invoice (a draft signed through the signing use case's chunk commit, with a certificate made here instead of
identity's: numbered, signed and published as a signing job does it).

    from services.invoice.tests.factories import add_seller, make_draft, make_signed
"""

from __future__ import annotations

import base64
import datetime as dt
import random
import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.x509.oid import NameOID
from sqlalchemy import insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from invoice.drafts import service as drafts
from invoice.drafts.schemas import InvoiceCreate, InvoiceRead
from invoice.models import pkp_status_change, signing_job, signing_job_item, taxpayer
from invoice.signing import service as signing
from invoice.signing.repository import SigningRepository
from invoice.signing.rules import digest_of
from kit.auth import Principal
from kit.db import UnitOfWork
from kit.identifiers import luhn_ok
from kit.testing.tokens import TokenMaker

ALL_SCOPES = "invoice:read invoice:draft invoice:sign"
BUYER = "0013121660091000"


def npwp16() -> str:
    """A Luhn-valid '0' + NPWP15."""
    while True:
        body = "0" + "".join(random.choice("0123456789") for _ in range(8))
        for check in "0123456789":
            if luhn_ok(body + check):
                return body + check + "".join(random.choice("0123456789") for _ in range(3)) + "000"


def bearer(maker: TokenMaker, npwp: str, scopes: str = ALL_SCOPES, **claims: Any) -> dict[str, str]:
    """Headers of a person (`act`) acting for taxpayer `npwp`."""
    claims.setdefault("act", {"sub": str(uuid.uuid4()), "name": "Ani"})
    return {"authorization": "Bearer " + maker.make(subject=npwp, scopes=scopes.split(), taxpayer_ids=[npwp],
                                                    **claims)}


def principal(npwp: str, scopes: str = ALL_SCOPES, *, person: str | None = None) -> Principal:
    """What such a token verifies to, for calling use cases directly."""
    return Principal(subject=npwp, scopes=frozenset(scopes.split()), taxpayer_ids=frozenset([npwp]),
                     actor={"sub": person or str(uuid.uuid4())})


async def add_seller(session: AsyncSession, *, npwp: str | None = None, pkp_from: date | None = date(2025, 1, 1),
                     name: str = "PT Contoh", address: str | None = None) -> str:
    """A taxpayer in the replica as identity's TaxpayerRegistered puts it there, PKP from `pkp_from` (None: never)
    as its PKPStatusChanged would. Flushed; the caller commits."""
    npwp = npwp or npwp16()
    await session.execute(pg_insert(taxpayer).values(
        npwp=npwp, taxpayer_id=str(uuid.uuid4()), nitku=npwp + "000000", name=name, kind="company", address=address,
        registered_at=datetime(2024, 1, 1, tzinfo=UTC), source_sequence=1).on_conflict_do_nothing())
    if pkp_from:
        await session.execute(insert(pkp_status_change).values(npwp=npwp, effective_date=pkp_from, is_pkp=1,
                                                               source_sequence=1, event_id=uuid.uuid4()))
    await session.flush()
    return npwp


def draft_body(npwp: str, **overrides: Any) -> dict[str, Any]:
    """A valid `POST /v1/invoices` body of seller `npwp` (one line, code 04, March 2025)."""
    body: dict[str, Any] = {
        "seller_npwp": npwp, "invoice_date": "2025-03-10", "trx_code": "04", "reference": f"INV-{uuid.uuid4().hex[:8]}",
        "buyer": {"document": "TIN", "tin": BUYER, "name": "PT Pembeli Sejahtera",
                  "address": "Jl. Merdeka No. 1, Jakarta"},
        "lines": [{"name": "Kertas A4", "unit": "UM.0022", "price": "100000", "qty": "1"}],
    }
    body.update(overrides)
    return body


async def make_draft(sessions: async_sessionmaker[AsyncSession], seller: str, **overrides: Any) -> InvoiceRead:
    """A draft made by the drafts use case, as `POST /v1/invoices` makes it."""
    return await drafts.create_draft(UnitOfWork(sessions), principal(seller),
                                     InvoiceCreate.model_validate(draft_body(seller, **overrides)))


class Signer:
    """A P-256 key and a self-signed certificate in a person's name: what identity's signing answer carries."""

    def __init__(self, name: str = "Siti Penandatangan") -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        now = dt.datetime.now(dt.UTC)
        cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(self.key.public_key())
                .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
                .not_valid_after(now + dt.timedelta(days=1)).sign(self.key, hashes.SHA256()))
        self.serial = format(cert.serial_number, "x")
        self.certificate_pem = cert.public_bytes(serialization.Encoding.PEM).decode()

    def sign(self, digest: bytes) -> str:
        return base64.b64encode(self.key.sign(digest, ec.ECDSA(Prehashed(hashes.SHA256())))).decode()


async def sign(sessions: async_sessionmaker[AsyncSession], seller: str, invoice_ids: Iterable[uuid.UUID | str],
               signer: Signer | None = None) -> None:
    """The drafts signed in one chunk of a signing job of `seller` (numbered, marked signed, `InvoiceSigned` and, for a
    replacement, `InvoiceReplaced` published), as a job's run does once identity has signed their digests."""
    ids = [uuid.UUID(str(i)) for i in invoice_ids]
    signer = signer or Signer()
    job = {"id": uuid.uuid4(), "seller_npwp": seller, "state": "running", "credential_id": str(uuid.uuid4()),
           "account_id": str(uuid.uuid4()), "requested_by": "factories", "total": len(ids)}
    async with sessions() as s, s.begin():
        await s.execute(insert(signing_job).values(**job))
        await s.execute(insert(signing_job_item), [{"job_id": job["id"], "invoice_id": i, "state": "pending"}
                                                   for i in ids])
    async with sessions() as s:
        rows, lines = await SigningRepository(s).invoices(ids)
    digests = {i: digest_of(rows[i], lines.get(i, [])) for i in ids}
    assert await signing.commit_chunk(sessions, job, ids, [], rows, digests, [signer.sign(digests[i]) for i in ids],
                                      signer.serial, signer.certificate_pem)


async def make_signed(sessions: async_sessionmaker[AsyncSession], seller: str, **overrides: Any) -> InvoiceRead:
    """A signed invoice of `seller` (a draft made by the use case, then signed)."""
    draft = await make_draft(sessions, seller, **overrides)
    await sign(sessions, seller, [draft.id])
    return await drafts.get_invoice(UnitOfWork(sessions), principal(seller), draft.id)
