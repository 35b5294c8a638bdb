"""The BPN (Bukti Penerimaan Negara) of a confirmed payment as a PDF (kit.pdf's letter), and the masking public pages
use. No I/O."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from kit.pdf import letter, rupiah, wib


def mask_npwp(npwp: str) -> str:
    """What a public page shows of an NPWP or NIK: the first 2 and last 3 digits."""
    return npwp[:2] + "*" * (len(npwp) - 5) + npwp[-3:] if len(npwp) > 5 else "*" * len(npwp)


def bpn_verification_url(public_url: str, ntpn: str) -> str:
    return f"{public_url.rstrip('/')}/v1/public/payments/{ntpn}/verification"


def render_bpn(*, ntpn: str, billing_code: str, npwp: str, name: str | None, kap_kjs: str, kap_name: str,
               kjs_name: str, period: str | None, assessment_number: str | None, amount: Decimal, paid_at: datetime,
               bank: str, bank_reference: str, confirmed_at: datetime, url: str) -> bytes:
    """Bukti Penerimaan Negara (tax-rules §4.2): what was paid, by whom, for which KAP-KJS and period, when and
    through which bank, under which NTPN."""
    rows = [("NTPN", ntpn), ("Kode Billing", billing_code), ("NPWP", npwp), ("Nama Wajib Pajak", name),
            ("Kode Akun Pajak (KAP)", f"{kap_kjs[:6]} - {kap_name}"),
            ("Kode Jenis Setoran (KJS)", f"{kap_kjs[7:]} - {kjs_name}"),
            ("Masa / Tahun Pajak", period), ("Nomor Ketetapan", assessment_number),
            ("Jumlah Setoran", f"Rp {rupiah(amount)}"), ("Tanggal Bayar", wib(paid_at)),
            ("Bank Persepsi", bank), ("Nomor Referensi Bank", bank_reference),
            ("Tanggal Buku", wib(confirmed_at))]
    return letter("BUKTI PENERIMAAN NEGARA", f"NTPN {ntpn}", rows, url=url, author=npwp, creator="Lontar payment",
                  footer=["Dokumen ini diterbitkan secara elektronik dan sah tanpa tanda tangan.",
                          "Pindai kode QR untuk memeriksa keaslian bukti penerimaan ini."])
