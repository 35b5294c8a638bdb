"""The KSWP letter (Surat Keterangan Status Wajib Pajak) as a PDF, rendered from the stored snapshot (`KswpRead` is
that snapshot as it is): every field printed is a field of the API answer. Drawn with kit.pdf's helpers (extractable
text, a QR code to the public verification)."""

from __future__ import annotations

from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from filing.kswp.schemas import KswpCheck, KswpRead
from kit.pdf import latin, qr, wib

_CHECKS = {"npwp_active": "NPWP aktif", "name_matches": "Nama sesuai", "spt_tahunan_filed": "SPT Tahunan",
           "spt_masa_ppn_filed": "SPT Masa PPN"}
_VARIANTS = {"standard": "Umum", "customs": "Kepabeanan"}
STATUS_TEXT = {"valid": "VALID", "invalid": "TIDAK VALID"}


def verification_url(public_url: str, code: str) -> str:
    return f"{public_url.rstrip('/')}/v1/kswp/verification/{code}"


def check_line(check: KswpCheck) -> str:
    """One printed line per check; the returns it looked at, each with its due date and whether it is filed."""
    verdict = "Ya" if check.passed else "Tidak"
    if check.returns is not None:
        parts = [f"{r.period} (batas {r.due_date.isoformat()}): "
                 + ("dilaporkan" if r.filed else "tidak wajib" if not r.owed else "belum dilaporkan")
                 for r in check.returns]
        return f"{verdict}; " + "; ".join(parts) if parts else verdict
    return f"{verdict} ({check.detail})" if check.detail else verdict


def render(kswp: KswpRead) -> bytes:
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_title(latin(f"Surat Keterangan Status Wajib Pajak {kswp.letter_number}"))
    pdf.set_creator("Lontar filing")
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin
    top = pdf.get_y()
    pdf.set_font("Helvetica", "B", 13)
    pdf.multi_cell(width - 45, 7, "SURAT KETERANGAN STATUS WAJIB PAJAK", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", "", 9)
    pdf.multi_cell(width - 45, 5, latin(f"Nomor: {kswp.letter_number}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)

    def field(label: str, value: Any) -> None:
        pdf.set_font("Helvetica", "", 9)
        pdf.cell(50, 5, latin(label))
        pdf.multi_cell(width - 95, 5, latin(f": {value if value not in (None, '') else '-'}"),
                       new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    field("NPWP", kswp.npwp)
    field("Nama (data DJP)", kswp.taxpayer_name)
    field("Nama (permohonan)", kswp.requested_name)
    field("Instansi peminta", kswp.agency)
    field("Layanan", kswp.service)
    field("Jenis", _VARIANTS[kswp.variant])
    field("Waktu pemeriksaan", wib(kswp.checked_at))
    pdf.ln(3)
    for check in kswp.checks:
        field(_CHECKS[check.code], check_line(check))
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(50, 7, "Status KSWP")
    pdf.multi_cell(width - 50, 7, f": {STATUS_TEXT[kswp.status]}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    field("Alasan", ", ".join(kswp.reasons) or None)
    pdf.set_font("Helvetica", "", 9)
    pdf.cell(50, 5, "Digest (SHA-256)")
    pdf.set_font("Courier", "", 8)
    pdf.multi_cell(width - 50, 5, f": {kswp.snapshot_digest}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    pdf.set_font("Helvetica", "I", 8)
    pdf.multi_cell(width, 4, latin("Keaslian surat ini dapat diperiksa dengan memindai kode QR atau membuka "
                                   f"{kswp.verification_url}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    qr(pdf, kswp.verification_url, x=pdf.l_margin + width - 40, y=top, size=38)
    return bytes(pdf.output())

