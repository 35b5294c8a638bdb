"""The signed e-Faktur as a PDF: every element UU PPN Art. 13(5) requires, as extractable text (a core font, so the
text is WinAnsi and any PDF reader or extractor gets it back), and a QR code to the public verification endpoint.

Art. 13(5): a. name, address and NPWP of the seller (PKP); b. name, address and NPWP/NIK (or other ID) of the buyer;
c. kind of goods or services, quantity, unit price and discount; d. PPN collected; e. PPnBM collected; f. code,
serial number and date of the faktur; g. name and signature of the signer. Here the signer's name comes from the
certificate that signed it (the holder's name), and the signature is the electronic one (serial and time)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from kit.pdf import JAKARTA, latin, qr, rupiah, tanggal

_DOCUMENTS = {"TIN": "NPWP", "National ID": "NIK", "Passport": "Paspor", "Other ID": "Identitas lain"}


def quantity(value: Any) -> str:
    amount = Decimal(str(value)).normalize()
    return format(amount, "f").replace(".", ",")


def formatted_nsfp(number: str) -> str:
    """04002500000000001 → 04.00.25.00000000001 (transaction code, status, year, serial)."""
    return f"{number[:2]}.{number[2:4]}.{number[4:6]}.{number[6:]}"


def verification_url(public_url: str, nsfp: str) -> str:
    return f"{public_url.rstrip('/')}/v1/public/invoices/{nsfp}/verification"


def render(row: dict[str, Any], lines: list[dict[str, Any]], *, seller: dict[str, Any] | None,
           signer_name: str | None, url: str) -> bytes:
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_title(latin(f"Faktur Pajak {row['nsfp']}"))
    pdf.set_author(latin((seller or {}).get("name") or row["seller_npwp"]))
    pdf.set_creator("Lontar invoice")
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    def text(value: Any, *, size: float = 9, style: str = "", w: float = 0, h: float = 4.6,
             align: str = "L") -> None:
        pdf.set_font("Helvetica", style, size)
        pdf.multi_cell(w or width, h, latin(value), align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def field(label: str, value: Any) -> None:
        pdf.set_font("Helvetica", "", 9)
        pdf.cell(42, 4.6, latin(label))
        pdf.multi_cell(width - 42, 4.6, latin(f": {value if value not in (None, '') else '-'}"),
                       new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    text("FAKTUR PAJAK", size=14, style="B", h=7, align="C")
    text(f"Kode dan Nomor Seri Faktur Pajak: {formatted_nsfp(row['nsfp'])} (NSFP {row['nsfp']})", style="B",
         align="C")
    pdf.ln(3)

    text("Pengusaha Kena Pajak (Penjual)", style="B")
    field("Nama", (seller or {}).get("name"))
    field("Alamat", (seller or {}).get("address"))
    field("NPWP", row["seller_npwp"])
    field("NITKU", row["seller_nitku"])
    pdf.ln(2)

    text("Pembeli Barang Kena Pajak / Penerima Jasa Kena Pajak", style="B")
    field("Nama", row["buyer_name"])
    field("Alamat", row["buyer_address"])
    document = _DOCUMENTS.get(row["buyer_document"], row["buyer_document"])
    if row["buyer_document"] == "TIN":
        field("NPWP", row["buyer_tin"])
    else:
        field(document, row["buyer_document_number"] or row["buyer_tin"])
    field("NITKU", row["buyer_nitku"])
    if row.get("buyer_email"):
        field("Email", row["buyer_email"])
    pdf.ln(2)

    # goods or services: one row per line, every column labelled
    cols = [("No.", 9, "C"), ("Kode", 18, "L"), ("Nama Barang / Jasa", 52, "L"), ("Kuantitas", 24, "R"),
            ("Harga Satuan (Rp)", 26, "R"), ("Potongan Harga (Rp)", 24, "R"), ("Harga Jual (Rp)", width - 153, "R")]
    pdf.set_font("Helvetica", "B", 7)
    for title, w, _ in cols:
        pdf.cell(w, 6, title, border=1, align="C")
    pdf.ln()
    pdf.set_font("Helvetica", "", 8)
    for line in lines:
        kind = "Jasa" if line["opt"] == "B" else "Barang"
        values = [str(line["line_no"]), line["code"], f"{line['name']} ({kind})",
                  f"{quantity(line['qty'])} {line['unit']}", rupiah(line["price"]), rupiah(line["discount"]),
                  rupiah(line["tax_base"])]
        top = pdf.get_y()
        heights = []
        for (_, w, align), value in zip(cols, values, strict=True):
            heights.append(len(pdf.multi_cell(w, 5, latin(value), align=align, dry_run=True, output="LINES")))
        h = 5 * max(heights)
        if top + h > pdf.page_break_trigger:
            pdf.add_page()
            top = pdf.get_y()
        x = pdf.l_margin
        for (_, w, align), value in zip(cols, values, strict=True):
            pdf.set_xy(x, top)
            pdf.multi_cell(w, h / max(1, len(pdf.multi_cell(w, 5, latin(value), dry_run=True, output="LINES"))),
                           latin(value), border=1, align=align)
            x += w
        pdf.set_xy(pdf.l_margin, top + h)
    pdf.ln(2)

    sale = sum((Decimal(str(line["price"])) * Decimal(str(line["qty"])) for line in lines), Decimal(0))
    discount = sum((Decimal(str(line["discount"])) for line in lines), Decimal(0))
    totals = [("Harga Jual / Penggantian", sale), ("Dikurangi Potongan Harga", discount),
              ("Dasar Pengenaan Pajak (DPP)", row["dpp"]), ("DPP Nilai Lain", row["dpp_other"]),
              ("Jumlah PPN (Pajak Pertambahan Nilai)", row["ppn"]),
              ("Jumlah PPnBM (Pajak Penjualan atas Barang Mewah)", row["ppnbm"])]
    for label, value in totals:
        pdf.set_font("Helvetica", "", 9)
        pdf.cell(width - 45, 5.5, latin(label), border=1)
        pdf.cell(45, 5.5, f"Rp {rupiah(value)}", border=1, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    field("Kode Transaksi", row["trx_code"])
    if row.get("add_info") or row.get("facility_stamp"):
        field("Keterangan", " ".join(v for v in (row.get("add_info"), row.get("facility_stamp")) if v))
    if row.get("ref_desc"):
        field("Referensi", row["ref_desc"])
    pdf.ln(3)

    # date, signer and the QR code to the public verification page, side by side
    top = pdf.get_y()
    if top + 45 > pdf.page_break_trigger:
        pdf.add_page()
        top = pdf.get_y()
    signed_at: datetime | None = row.get("signed_at")
    text(f"Tanggal Faktur Pajak: {tanggal(row['invoice_date'])}", w=width - 45)
    text("Ditandatangani secara elektronik oleh:", w=width - 45)
    text(signer_name or "-", style="B", w=width - 45)
    if signed_at is not None:
        text(f"pada {signed_at.astimezone(JAKARTA):%Y-%m-%d %H:%M:%S} WIB, sertifikat "
             f"{row.get('certificate_serial') or '-'}", size=7, w=width - 45)
    text(f"Verifikasi: {url}", size=7, w=width - 45)
    qr(pdf, url, x=pdf.l_margin + width - 40, y=top, size=38)
    return bytes(pdf.output())

