"""What every Lontar document PDF needs (fpdf2 + segno, no I/O): text a core font can carry, rupiah and Indonesian
dates, a QR code drawn as vector squares, and the plain one-page letter (title, labelled values, footer beside a QR
code to the public verification) that receipts and letters share.

Core fonts (Helvetica) keep the text extractable by any reader, so a verifier can read the document back; they carry
WinAnsi (Latin-1) only, hence `latin`."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import segno
from fpdf import FPDF
from fpdf.enums import XPos, YPos

JAKARTA = ZoneInfo("Asia/Jakarta")
MONTHS = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
          "November", "Desember")
QR_SIZE_MM = 38


def latin(value: Any) -> str:
    """Other characters are decomposed (é → e) or become `?`; None is empty."""
    text = "" if value is None else str(value)
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return text.encode("latin-1", "replace").decode("latin-1")


def rupiah(value: Any) -> str:
    """1234567 → 1.234.567; sen, if any, after a comma: 1.234.567,89."""
    amount = Decimal(str(value))
    whole = amount == amount.to_integral_value()
    text = f"{amount:,.0f}" if whole else f"{amount:,.2f}"
    return text.replace(",", "_").replace(".", ",").replace("_", ".")


def tanggal(value: date) -> str:
    """6 Desember 2026."""
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def wib(value: datetime) -> str:
    """The moment on the Jakarta clock: 6 Desember 2026 14:05:09 WIB."""
    local = value.astimezone(JAKARTA)
    return f"{tanggal(local.date())} {local:%H:%M:%S} WIB"


def masa(period: str) -> str:
    """A tax period: `2026-02` → Februari 2026, `2025` → Tahun 2025."""
    if len(period) == 7:
        return f"{MONTHS[int(period[5:]) - 1]} {period[:4]}"
    return f"Tahun {period}"


def qr(pdf: FPDF, data: str, *, x: float, y: float, size: float = QR_SIZE_MM) -> None:
    """The QR code (error correction M) drawn as filled squares, one rectangle per run of dark modules in a row: vector,
    so no image library is needed at run time."""
    matrix = [list(row) for row in segno.make(data, error="m", micro=False).matrix]
    border = 2
    module = size / (len(matrix) + 2 * border)
    pdf.set_fill_color(0, 0, 0)
    for r, cells in enumerate(matrix):
        c = 0
        while c < len(cells):
            if not cells[c]:
                c += 1
                continue
            start = c
            while c < len(cells) and cells[c]:
                c += 1
            pdf.rect(x + (start + border) * module, y + (r + border) * module, (c - start) * module, module,
                     style="F")


def letter(title: str, subtitle: str, rows: Sequence[tuple[str, Any]], *, url: str, footer: Sequence[str],
           author: str, creator: str) -> bytes:
    """An A4 page: the title, a two-column table of labelled values (empty ones read `-`), and the footer lines
    beside a QR code to `url`, which is also printed."""
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_title(latin(f"{title} {subtitle}"))
    pdf.set_author(latin(author))
    pdf.set_creator(creator)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin
    pdf.set_font("Helvetica", "B", 14)
    pdf.multi_cell(width, 7, latin(title), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", "B", 10)
    pdf.multi_cell(width, 5, latin(subtitle), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    for label, value in rows:
        pdf.set_font("Helvetica", "", 9)
        pdf.cell(55, 6, latin(label), border=1)
        pdf.multi_cell(width - 55, 6, latin(value if value not in (None, "") else "-"), border=1,
                       new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    top = pdf.get_y()
    pdf.set_font("Helvetica", "", 8)
    for line in [*footer, f"Verifikasi: {url}"]:
        pdf.multi_cell(width - QR_SIZE_MM - 4, 4.5, latin(line), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    qr(pdf, url, x=pdf.l_margin + width - QR_SIZE_MM, y=top)
    return bytes(pdf.output())


class Sheet:
    """A signed-record page (a receipt, a status letter): its title and number beside a QR code to the public
    verification, labelled values, the digest of what was signed, and a closing note naming the verification URL."""

    def __init__(self, title: str, number: str, *, document: str, author: str | None, creator: str, url: str,
                 label_width: float = 55) -> None:
        self.pdf = FPDF(format="A4", unit="mm")
        self.pdf.set_title(latin(f"{document} {number}"))
        if author is not None:
            self.pdf.set_author(latin(author))
        self.pdf.set_creator(creator)
        self.pdf.add_page()
        self.width = self.pdf.w - self.pdf.l_margin - self.pdf.r_margin
        self.label_width, self.url, self.top = label_width, url, self.pdf.get_y()
        self.pdf.set_font("Helvetica", "B", 13)
        self.pdf.multi_cell(self.width - 45, 7, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.pdf.set_font("Helvetica", "", 9)
        self.pdf.multi_cell(self.width - 45, 5, latin(f"Nomor: {number}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.pdf.ln(4)

    def field(self, label: str, value: Any) -> None:
        """One labelled value (empty reads `-`), in the column left of the QR code."""
        self.pdf.set_font("Helvetica", "", 9)
        self.pdf.cell(self.label_width, 5, latin(label))
        self.pdf.multi_cell(self.width - self.label_width - 45, 5,
                            latin(f": {value if value not in (None, '') else '-'}"),
                            new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def emphasis(self, label: str, value: str) -> None:
        self.pdf.set_font("Helvetica", "B", 11)
        self.pdf.cell(self.label_width, 7, latin(label))
        self.pdf.multi_cell(self.width - self.label_width, 7, latin(f": {value}"), new_x=XPos.LMARGIN,
                            new_y=YPos.NEXT)

    def gap(self, mm: float = 3) -> None:
        self.pdf.ln(mm)

    def finish(self, digest: str, note: str) -> bytes:
        """The digest line, the note ("... memindai kode QR atau membuka <url>") and the QR code; the PDF."""
        self.pdf.set_font("Helvetica", "", 9)
        self.pdf.cell(self.label_width, 5, "Digest (SHA-256)")
        self.pdf.set_font("Courier", "", 8)
        self.pdf.multi_cell(self.width - self.label_width, 5, f": {digest}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.pdf.ln(4)
        self.pdf.set_font("Helvetica", "I", 8)
        self.pdf.multi_cell(self.width, 4, latin(f"{note} {self.url}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        qr(self.pdf, self.url, x=self.pdf.l_margin + self.width - 40, y=self.top, size=38)
        return bytes(self.pdf.output())
