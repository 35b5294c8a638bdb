"""What is signed and how it is numbered (pure): the invoice's canonical content and its digest, the NSFP, the signer
named on the faktur, the account that must hold the credential."""

from __future__ import annotations

import hashlib
import json
from typing import Any

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
