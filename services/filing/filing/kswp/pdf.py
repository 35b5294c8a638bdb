"""The KSWP letter (Surat Keterangan Status Wajib Pajak) as a PDF, rendered from the stored snapshot (`KswpRead` is
that snapshot as it is): every field printed is a field of the API answer, the electronic signature and the id of the
key that made it included. Drawn with kit.pdf's helpers (extractable text, a QR code to the public verification)."""

from __future__ import annotations

from filing.kswp.schemas import KswpCheck, KswpRead
from kit.pdf import Sheet, wib

_CHECKS = {"npwp_active": "NPWP aktif", "name_matches": "Nama sesuai", "spt_tahunan_filed": "SPT Tahunan",
           "spt_masa_ppn_filed": "SPT Masa PPN"}
_VARIANTS = {"standard": "Umum", "customs": "Kepabeanan"}
STATUS_TEXT = {"valid": "VALID", "invalid": "TIDAK VALID"}
SIGNED_BY = "Direktorat Jenderal Pajak (Lontar), ECDSA P-256"


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
    sheet = Sheet("SURAT KETERANGAN STATUS WAJIB PAJAK", kswp.letter_number,
                  document="Surat Keterangan Status Wajib Pajak", author=None, creator="Lontar filing",
                  url=kswp.verification_url, label_width=50)
    sheet.field("NPWP", kswp.npwp)
    sheet.field("Nama (data DJP)", kswp.taxpayer_name)
    sheet.field("Nama (permohonan)", kswp.requested_name)
    sheet.field("Instansi peminta", kswp.agency)
    sheet.field("Layanan", kswp.service)
    sheet.field("Jenis", _VARIANTS[kswp.variant])
    sheet.field("Waktu pemeriksaan", wib(kswp.checked_at))
    sheet.gap()
    for check in kswp.checks:
        sheet.field(_CHECKS[check.code], check_line(check))
    sheet.gap()
    sheet.emphasis("Status KSWP", STATUS_TEXT[kswp.status])
    sheet.field("Alasan", ", ".join(kswp.reasons) or None)
    sheet.gap()
    sheet.field("Ditandatangani secara elektronik", SIGNED_BY if kswp.signature else "tidak (surat lama)")
    sheet.field("ID kunci penanda tangan", kswp.signing_key_id)
    sheet.field("Tanda tangan elektronik", kswp.signature)
    return sheet.finish(kswp.snapshot_digest, "Keaslian surat ini dapat diperiksa dengan memindai kode QR atau membuka")
