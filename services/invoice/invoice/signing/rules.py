"""What is signed and how it is numbered (pure): the invoice's canonical content and its digest, the NSFP, the signer
named on the faktur, the account that must hold the credential."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from cryptography import x509
from cryptography.x509.oid import NameOID

from kit.auth import Principal

_DIGEST_FIELDS = ("id", "seller_npwp", "seller_nitku", "invoice_date", "trx_code", "add_info", "facility_stamp",
                  "custom_doc", "custom_doc_month_year", "ref_desc", "buyer_document", "buyer_tin",
                  "buyer_document_number", "buyer_country", "buyer_name", "buyer_address", "buyer_email",
                  "buyer_nitku", "dpp", "dpp_other", "ppn", "ppnbm")
_LINE_FIELDS = ("line_no", "opt", "code", "name", "unit", "price", "qty", "discount", "tax_base", "other_tax_base",
                "vat_rate", "vat", "stlg_rate", "stlg")


def canonical(row: dict[str, Any], lines: list[dict[str, Any]]) -> bytes:
    """The signed content: the invoice's facts as canonical JSON (sorted keys, amounts as strings)."""
    doc = {k: (None if row[k] is None else str(row[k])) for k in _DIGEST_FIELDS}
    doc["lines"] = [{k: str(line[k]) for k in _LINE_FIELDS} for line in lines]
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def digest_of(row: dict[str, Any], lines: list[dict[str, Any]]) -> bytes:
    return hashlib.sha256(canonical(row, lines)).digest()


def nsfp(trx_code: str, year: int, serial: int, status: int = 0) -> str:
    return f"{trx_code}{status:02d}{year % 100:02d}{serial:011d}"


def replacement_nsfp(trx_code: str, status: int, original: str) -> str:
    """A replacement takes its original's serial (and year) with its own code and status: TT SS + YY + serial."""
    return nsfp(trx_code, 0, 0, status)[:4] + original[4:]


def subject_name(certificate_pem: str) -> str:
    """The holder's name (the certificate subject's common name): the signer printed on the faktur."""
    cert = x509.load_pem_x509_certificate(certificate_pem.encode())
    full = cert.subject.get_attributes_for_oid(x509.ObjectIdentifier("2.5.4.41"))  # id-at-name: when CN is cut
    names = full or cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else cert.subject.rfc4514_string()


def signer_account(principal: Principal) -> str | None:
    """The person who signs, sent to identity so the credential must be theirs: the `act` person of a token acting
    for a taxpayer, or the account of a person's own token. None only for machine clients (a PJAP), for which
    identity checks the passphrase alone."""
    actor = principal.actor or {}
    if actor:
        return str(actor["sub"]) if actor.get("sub") and actor.get("client_kind") is None else None
    if principal.claims.get("client_kind"):
        return None
    try:
        return str(uuid.UUID(principal.subject))
    except ValueError:
        return None
