"""What a submission signs and what its receipt says (pure): the canonical content of a return and its digest, the
payments a kurang bayar return waits for, receipt numbers, the masked NPWP of the public verification, and whether a
stored signature still holds."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from filing.corrections.rules import version_label
from filing.returns.schemas import SptMasaPpnRead

PPN_KAP_KJS = "411211-100"  # PPN dalam negeri, masa (tax-rules.md §4.3)
PPNBM_KAP_KJS = "411221-100"  # PPnBM dalam negeri, masa: not creditable, paid on its own
# Receipt numbers: BPE-<day filed>-<12 characters of Crockford base32> (60 random bits): unique in practice (the
# table's key catches a clash) and not enumerable, since the public verification takes the number alone.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RECEIPT_RANDOM_CHARS = 12


def signed_content(view: SptMasaPpnRead, *, spt_id: uuid.UUID, version: int, submitted_at: datetime,
                   signer_account_id: str | None) -> bytes:
    """The document signed for an SPT Masa PPN version: every figure of the return as the taxpayer sees it, which
    version of which return it is, who signs and when. Canonical JSON (sorted keys, no spaces, amounts as strings),
    so the same return always gives the same bytes."""
    return signed_document(view.model_dump(mode="json", exclude={"open_return", "owed"}), spt_id=spt_id,
                           version=version, submitted_at=submitted_at, signer_account_id=signer_account_id)


def signed_document(figures: dict[str, Any], *, spt_id: uuid.UUID, version: int, submitted_at: datetime,
                    signer_account_id: str | None) -> bytes:
    """The document signed for a version of a return of any form: its figures (as the form reads them), which
    version of which return it is, who signs and when; canonical JSON."""
    doc = dict(figures)
    doc.update(spt_id=str(spt_id), spt_version=version, version_label=version_label(version),
               submitted_at=submitted_at.isoformat(), signer_account_id=signer_account_id)
    return canonical(doc)


def canonical(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def digest_of(content: bytes) -> bytes:
    return hashlib.sha256(content).digest()


@dataclass(frozen=True)
class PaymentPart:
    kap_kjs: str
    amount: Decimal  # whole rupiah, > 0


def payment_parts(amount_due: Decimal, ppnbm_owed: Decimal) -> list[PaymentPart]:
    """What a return must have paid before it is filed ("Bayar dan Lapor"): its PPN kurang bayar and its PPnBM, each
    with its own KAP-KJS. Empty for a nil or lebih bayar return without PPnBM: it files at once."""
    parts = [PaymentPart(PPN_KAP_KJS, amount_due), PaymentPart(PPNBM_KAP_KJS, ppnbm_owed)]
    return [PaymentPart(p.kap_kjs, p.amount.quantize(Decimal(1))) for p in parts if p.amount > 0]


def raised_parts(payable: dict[str, Decimal], previous: dict[str, Decimal]) -> list[PaymentPart]:
    """What a pembetulan must have paid before it is filed: per KAP-KJS, what it owes beyond the version it
    corrects (that one's payments stand)."""
    raised = ((k, payable.get(k, Decimal(0)) - previous.get(k, Decimal(0))) for k in sorted({*payable, *previous}))
    return [PaymentPart(k, v.quantize(Decimal(1))) for k, v in raised if v > 0]


def receipt_number(filed_on: date, token: str | None = None) -> str:
    if token is None:
        bits = secrets.randbits(5 * RECEIPT_RANDOM_CHARS)
        token = "".join(_ALPHABET[(bits >> 5 * i) & 31] for i in range(RECEIPT_RANDOM_CHARS))
    return f"BPE-{filed_on:%Y%m%d}-{token}"


def mask_npwp(npwp: str) -> str:
    """All but the last 4 digits hidden: enough for the holder to recognise it, not to learn it."""
    return "*" * (len(npwp) - 4) + npwp[-4:]


def amount_text(amount: Decimal) -> str:
    """Whole rupiah as events write them: `Decimal('1000000.00')` -> '1000000'."""
    return f"{amount.quantize(Decimal(1)):f}"


def signature_valid(content: str, digest_hex: str, signature_b64: str, certificate_pem: str | None
                    ) -> tuple[bool, str]:
    """(valid, reason): the stored content still hashes to the digest on the receipt, and the signature verifies
    over that digest with the certificate that made it."""
    digest = digest_of(content.encode())
    if digest.hex() != digest_hex:
        return False, "the stored content does not match the digest on the receipt"
    if not certificate_pem:
        return False, "the signing certificate is not on record"
    key = x509.load_pem_x509_certificate(certificate_pem.encode()).public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey):
        return False, "unexpected key type"
    try:
        key.verify(base64.b64decode(signature_b64), digest, ec.ECDSA(Prehashed(hashes.SHA256())))
    except (InvalidSignature, ValueError):
        return False, "the signature does not verify with the signer's certificate"
    return True, "the digest matches the signed content and the signature is valid"
