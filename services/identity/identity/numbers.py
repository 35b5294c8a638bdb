"""Indonesian identity numbers: NIK, NPWP (15 and 16 digits) and NITKU. Pure functions, no I/O.

Rules and test vectors: NIK `PPKKCC DDMMYY SSSS` (women +40 on the day), Kemendagri province codes; NPWP15
`AB.CCC.CCC.D-EEE.FFF` with a Luhn check digit over the first 9 digits; NPWP16 is the NIK for residents, otherwise
'0' + NPWP15 (Luhn over the first 10 digits); NITKU is NPWP16 + a 6-digit place-of-business number (000000 = head
office).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from kit.errors import ValidationFailed

# Kemendagri (Kepmendagri 300.2.2-2430/2025) province codes; not BPS codes (they differ for Papua).
PROVINCES = {
    "11", "12", "13", "14", "15", "16", "17", "18", "19", "21", "31", "32", "33", "34", "35", "36", "51", "52", "53",
    "61", "62", "63", "64", "65", "71", "72", "73", "74", "75", "76", "81", "82", "91", "92", "93", "94", "95", "96",
}
_SEPARATORS = re.compile(r"[\s.\-]")


class InvalidNIK(ValidationFailed):
    code, title = "nik.invalid", "Invalid NIK"


class InvalidNPWP(ValidationFailed):
    code, title = "npwp.invalid", "Invalid NPWP"


class InvalidNITKU(ValidationFailed):
    code, title = "nitku.invalid", "Invalid NITKU"


@dataclass(frozen=True)
class NIK:
    value: str
    province: str
    regency: str
    district: str
    birth_date: date
    female: bool
    serial: str


def normalise(number: str) -> str:
    return _SEPARATORS.sub("", number or "")


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


def parse_nik(number: str) -> NIK:
    nik = normalise(number)
    if not re.fullmatch(r"\d{16}", nik):
        raise InvalidNIK("a NIK has 16 digits", reason="length_or_format")
    if nik[:2] not in PROVINCES:
        raise InvalidNIK(f"province code {nik[:2]} does not exist", reason="province")
    day, month, yy = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    female = day > 40
    if female:
        day -= 40
    if not 1 <= day <= 31 or not 1 <= month <= 12:
        raise InvalidNIK("the birth date in the NIK is not a date", reason="birth_date")
    birth = _first_valid_date(day, month, yy)
    if birth is None:
        raise InvalidNIK("the birth date in the NIK is not a date", reason="birth_date")
    if nik[12:] == "0000":
        raise InvalidNIK("the NIK serial starts at 0001", reason="serial")
    return NIK(nik, nik[:2], nik[2:4], nik[4:6], birth, female, nik[12:])


def _first_valid_date(day: int, month: int, yy: int) -> date | None:
    """YY is ambiguous between centuries: the latest existing date that is not in the future (03 -> 2003,
    45 -> 1945, 29-02-00 -> 2000). The NIK's date is informative only: it is never corrected, even when wrong."""
    today = date.today()
    for century in (2000, 1900):
        try:
            candidate = date(century + yy, month, day)
        except ValueError:
            continue
        if candidate <= today:
            return candidate
    return None


def validate_npwp15(number: str) -> str:
    npwp = normalise(number)
    if not re.fullmatch(r"\d{15}", npwp):
        raise InvalidNPWP("an NPWP15 has 15 digits", reason="length_or_format")
    if not luhn_ok(npwp[:9]):
        raise InvalidNPWP("the NPWP check digit is wrong", reason="checksum")
    return npwp


def validate_npwp16(number: str) -> str:
    """A 16-digit NPWP: a NIK for residents, else '0' + NPWP15 with a valid Luhn check over the first 10 digits."""
    npwp = normalise(number)
    if not re.fullmatch(r"\d{16}", npwp):
        raise InvalidNPWP("an NPWP16 has 16 digits", reason="length_or_format")
    if npwp[0] != "0":
        try:
            parse_nik(npwp)
        except InvalidNIK as exc:
            raise InvalidNPWP(f"a 16-digit NPWP not starting with 0 must be a NIK: {exc.detail}",
                              reason="nik") from None
        return npwp
    if not luhn_ok(npwp[:10]):
        raise InvalidNPWP("the NPWP check digit is wrong", reason="checksum")
    return npwp


def npwp15_to_npwp16(number: str) -> str:
    return "0" + validate_npwp15(number)


def validate_nitku(number: str) -> str:
    nitku = normalise(number)
    if not re.fullmatch(r"\d{22}", nitku):
        raise InvalidNITKU("a NITKU has 22 digits", reason="length_or_format")
    try:
        validate_npwp16(nitku[:16])
    except InvalidNPWP as exc:
        raise InvalidNITKU(f"the NITKU's NPWP part is invalid: {exc.detail}", reason="npwp") from None
    return nitku


def head_office_nitku(npwp16: str) -> str:
    return npwp16 + "000000"


def format_npwp15(number: str) -> str:
    n = validate_npwp15(number)
    return f"{n[:2]}.{n[2:5]}.{n[5:8]}.{n[8]}-{n[9:12]}.{n[12:]}"
