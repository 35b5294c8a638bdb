"""What the public verification confirms (pure): the signature is valid for the invoice's content, and the buyer's
identifier is shown masked."""

from __future__ import annotations

import base64
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from invoice.signing.rules import digest_of


def mask(value: str | None) -> str | None:
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
