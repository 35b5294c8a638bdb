"""The receipt (bukti penerimaan elektronik) as a PDF: who filed which return when, its main figures, the digest of
what was signed, the payment for a "Bayar dan Lapor" return, and a QR code to the public verification. Drawn with
kit.pdf's helpers, as the other documents are."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from filing.forms.schema import forms
from filing.submissions.schemas import ReceiptRead
from kit.pdf import Sheet, masa, rupiah, tanggal, wib

_FORMS = {"spt_masa_ppn": "SPT Masa PPN"}
_OUTCOMES = {"kurang_bayar": "Kurang Bayar", "lebih_bayar": "Lebih Bayar", "nihil": "Nihil"}


def _title(form: str) -> str:
    schema = forms().get(form)
    return schema.title if schema else form


def verification_url(public_url: str, number: str) -> str:
    return f"{public_url.rstrip('/')}/v1/receipts/{number}/verification"


def _rp(value: Any) -> str:
    return "Rp" + rupiah(value)


def render(receipt: ReceiptRead, content: str, *, taxpayer_name: str, signer_name: str | None,
           certificate_serial: str) -> bytes:
    figures = json.loads(content)
    sheet = Sheet("BUKTI PENERIMAAN ELEKTRONIK", receipt.number, document="Bukti Penerimaan Elektronik",
                  author=taxpayer_name, creator="Lontar filing", url=receipt.verification_url)
    field = sheet.field
    field("NPWP", receipt.npwp)
    field("Nama Wajib Pajak", taxpayer_name)
    field("Jenis SPT", _FORMS.get(receipt.form) or _title(receipt.form))
    field("Masa / Tahun Pajak", masa(receipt.period))
    field("Status SPT", receipt.version_label)
    field("Diterima", wib(receipt.filed_at))
    field("Batas waktu", tanggal(receipt.due_date) + (" (terlambat)" if receipt.late else ""))
    sheet.gap()
    outcome = str(figures.get("outcome", ""))
    if receipt.form == "spt_masa_ppn":
        field("PPN Keluaran terutang", _rp(figures.get("output_ppn_owed", 0)))
        field("PPN Masukan yang dapat dikreditkan", _rp(figures.get("input", {}).get("creditable_ppn", 0)))
        field("Kompensasi", _rp(figures.get("compensation", 0)))
        field("PPN " + _OUTCOMES.get(outcome, outcome), _rp(abs(Decimal(str(figures.get("balance", 0))))))
        if Decimal(str(figures.get("ppnbm_owed", 0))):
            field("PPnBM terutang", _rp(figures["ppnbm_owed"]))
    else:  # a data-driven form: its amount per KAP-KJS and the balance
        for part in figures.get("parts", []):
            field(f"KAP-KJS {part['kap_kjs']}", _rp(part["amount"]))
        field(_OUTCOMES.get(outcome, outcome), _rp(abs(Decimal(str(figures.get("balance", 0))))))
    if receipt.ntpn:
        sheet.gap()
        field("Kode billing", receipt.billing_code)
        field("NTPN", receipt.ntpn)
        field("Tanggal bayar", tanggal(receipt.payment_date) if receipt.payment_date else None)
    sheet.gap()
    field("Ditandatangani oleh", signer_name)
    field("Sertifikat", certificate_serial)
    return sheet.finish(receipt.content_digest,
                        "Keaslian bukti ini dapat diperiksa dengan memindai kode QR atau membuka")

