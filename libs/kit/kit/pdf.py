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
