"""Indonesian taxpayer identifiers: NIK, NPWP (15 and 16 digits) and NITKU. Pure functions, no I/O; each check
answers None for a valid number, else the reason it is not one. The services put their own errors on top.

Rules (tax-rules.md §1-2): NIK `PPKKCC DDMMYY SSSS` (women +40 on the day), Kemendagri province codes; NPWP15
`AB.CCC.CCC.D-EEE.FFF` with a Luhn check digit over the first 9 digits; NPWP16 is the NIK for residents, otherwise
'0' + NPWP15 (Luhn over the first 10 digits); NITKU is NPWP16 + a 6-digit place-of-business number (000000 = head
office).
"""

from __future__ import annotations

from datetime import date

# Kemendagri (Kepmendagri 300.2.2-2430/2025) province codes; not BPS codes (they differ for Papua).
PROVINCES = frozenset({
    "11", "12", "13", "14", "15", "16", "17", "18", "19", "21", "31", "32", "33", "34", "35", "36", "51", "52", "53",
    "61", "62", "63", "64", "65", "71", "72", "73", "74", "75", "76", "81", "82", "91", "92", "93", "94", "95", "96",
})


def _digits(value: str) -> bool:
    """ASCII digits only (str.isdigit() also takes '²' and other scripts' digits)."""
    return value.isascii() and value.isdigit()


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def nik_birth_date(nik: str) -> date | None:
    """The birth date a 16-digit NIK carries (day + 40 for women), or None when it is not a date. YY is ambiguous
    between centuries: the latest existing date that is not in the future (03 -> 2003, 45 -> 1945, 29-02-00 ->
    2000). The date is informative only: it is never corrected, even when wrong."""
    day, month, yy = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    if day > 40:
        day -= 40
    today = date.today()
    for century in (2000, 1900):
        try:
            candidate = date(century + yy, month, day)
        except ValueError:
            continue
        if candidate <= today:
            return candidate
    return None


def nik_problem(nik: str) -> str | None:
    """'length' (not 16 digits), 'province', 'date' (the birth date is not one) or 'serial' (0000); None if valid."""
    if len(nik) != 16 or not _digits(nik):
        return "length"
    if nik[:2] not in PROVINCES:
        return "province"
    if nik_birth_date(nik) is None:
        return "date"
    if nik[12:] == "0000":
        return "serial"
    return None


def npwp15_problem(value: str) -> str | None:
    """'format' (not digits), 'length' or 'checksum'; None for a valid legacy 15-digit NPWP."""
    if not _digits(value):
        return "format"
    if len(value) != 15:
        return "length"
    return None if luhn_ok(value[:9]) else "checksum"


def npwp16_problem(value: str) -> str | None:
    """'format', 'length', 'checksum' ('0' + NPWP15 whose check digit is wrong) or 'nik' (not starting with 0 and
    not a valid NIK); None for a valid NPWP16."""
    if not _digits(value):
        return "format"
    if len(value) != 16:
        return "length"
    if value[0] == "0":
        return None if luhn_ok(value[:10]) else "checksum"
    return None if nik_problem(value) is None else "nik"


def nitku_problem(value: str) -> str | None:
    """'format', 'length' (not 22 digits), or the problem of its NPWP16 part; None for a valid NITKU."""
    if not _digits(value):
        return "format"
    if len(value) != 22:
        return "length"
    return npwp16_problem(value[:16])


def head_office_nitku(npwp16: str) -> str:
    return npwp16 + "000000"
