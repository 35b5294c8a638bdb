"""The Surat Keterangan Validasi PPh PHTB (pure): its number and its PDF, with a QR code to the public verification."""

from __future__ import annotations

from datetime import datetime

from kit.pdf import JAKARTA, letter, rupiah, wib
from payment.billing.amount import amount_text
from payment.models import PHTBValidation
from payment.phtb.rules import format_nop

_CATEGORIES = {"general": "Pengalihan hak atas tanah dan/atau bangunan (umum)",
               "simple_house_by_developer": "Rumah sederhana / rumah susun sederhana oleh pengembang",
               "government_public_purpose": "Pengalihan kepada pemerintah untuk kepentingan umum"}


def letter_number(serial: int, validated_at: datetime) -> str:
    """`SKV-PHTB/<year in WIB>/<serial, 8 digits>`: serials come from one database sequence, never reused."""
    return f"SKV-PHTB/{validated_at.astimezone(JAKARTA).year}/{serial:08d}"


def render_letter(v: PHTBValidation, *, url: str) -> bytes:
    assert v.number is not None and v.decided_at is not None
    rate = f"{v.rate_percent.normalize():f}".replace(".", ",")
    rows = [("Nomor", v.number), ("Nomor Objek Pajak (NOP)", format_nop(v.nop)),
            ("NPWP Penjual", v.seller_npwp), ("NPWP/NIK Pembeli", v.buyer_id),
            ("Jenis Pengalihan", _CATEGORIES.get(v.category, v.category)),
            ("Nilai Pengalihan Bruto", f"Rp {rupiah(v.gross_value)}"), ("Tarif", f"{rate}%"),
            ("PPh Final Terutang", f"Rp {rupiah(v.tax_amount)}"), ("KAP-KJS", "411128-402"),
            ("NTPN", v.ntpn), ("Kode Billing", v.billing_code),
            ("Divalidasi oleh", "sistem" if v.decided_by == "rules" else "petugas"),
            ("Tanggal Validasi", wib(v.decided_at))]
    return letter("SURAT KETERANGAN VALIDASI", "PPh atas Pengalihan Hak atas Tanah dan/atau Bangunan (PP 34/2016)",
                  rows, url=url, author=v.seller_npwp, creator="Lontar payment",
                  footer=[f"PPh final sebesar Rp {rupiah(v.tax_amount)} ({amount_text(v.tax_amount)}) atas "
                          "pengalihan ini telah divalidasi.",
                          "Dokumen ini diterbitkan secara elektronik dan sah tanpa tanda tangan.",
                          "Pindai kode QR untuk memeriksa keaslian surat ini."])
