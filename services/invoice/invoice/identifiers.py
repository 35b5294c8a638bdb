"""NPWP16, NIK and NITKU checks (tax-rules.md §1-2). Copied rules, not imported from identity: services share no code
but the kit and the contracts."""

from __future__ import annotations

from datetime import date

# Kemendagri province codes (tax-rules.md §2.2), Papua per Kepmendagri, not BPS.
PROVINCES = frozenset({
    "11", "12", "13", "14", "15", "16", "17", "18", "19", "21", "31", "32", "33", "34", "35", "36", "51", "52", "53",
    "61", "62", "63", "64", "65", "71", "72", "73", "74", "75", "76", "81", "82", "91", "92", "93", "94", "95", "96",
})


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


def nik_problem(nik: str) -> str | None:
    """None when structurally valid, else a reason: length, province, date, serial."""
    if len(nik) != 16 or not nik.isdigit():
        return "length"
    if nik[:2] not in PROVINCES:
        return "province"
    day, month, yy = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    if day > 40:
        day -= 40
    for century in (1900, 2000):
        try:
            date(century + yy, month, day)
            break
        except ValueError:
            continue
    else:
        return "date"
    if nik[12:] == "0000":
        return "serial"
    return None


def npwp16_problem(value: str) -> str | None:
    """None when `value` is a valid NPWP16: '0' + legacy NPWP15 with Luhn over the first 10 digits, or a NIK.
    Reasons: 'length', 'format', 'checksum', 'nik'."""
    if not value.isdigit():
        return "format"
    if len(value) != 16:
        return "length"
    if value[0] == "0":
        return None if luhn_ok(value[:10]) else "checksum"
    return None if nik_problem(value) is None else "nik"


def nitku_problem(value: str) -> str | None:
    if not value.isdigit():
        return "format"
    if len(value) != 22:
        return "length"
    return npwp16_problem(value[:16])


def head_office_nitku(npwp: str) -> str:
    return npwp + "000000"
