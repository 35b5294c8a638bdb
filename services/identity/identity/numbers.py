"""Indonesian identity numbers as identity takes them from people: separators removed, each rule broken raised as a
ValidationFailed with its reason. The rules themselves are `kit.identifiers` (shared with the invoice service)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date

from kit.errors import ValidationFailed
from kit.identifiers import luhn_ok, nik_birth_date, nik_problem, nitku_problem, npwp15_problem, npwp16_problem

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


_NIK_PROBLEMS = {
    "length": ("a NIK has 16 digits", "length_or_format"),
    "province": (None, "province"),
    "date": ("the birth date in the NIK is not a date", "birth_date"),
    "serial": ("the NIK serial starts at 0001", "serial"),
}


def parse_nik(number: str) -> NIK:
    nik = normalise(number)
    if (problem := nik_problem(nik)) is not None:
        message, reason = _NIK_PROBLEMS[problem]
        raise InvalidNIK(message or f"province code {nik[:2]} does not exist", reason=reason)
    birth = nik_birth_date(nik)
    assert birth is not None  # nik_problem checked it
    return NIK(nik, nik[:2], nik[2:4], nik[4:6], birth, int(nik[6:8]) > 40, nik[12:])


def validate_npwp15(number: str) -> str:
    npwp = normalise(number)
    problem = npwp15_problem(npwp)
    if problem == "checksum":
        raise InvalidNPWP("the NPWP check digit is wrong", reason="checksum")
    if problem is not None:
        raise InvalidNPWP("an NPWP15 has 15 digits", reason="length_or_format")
    return npwp


def validate_npwp16(number: str) -> str:
    """A 16-digit NPWP: a NIK for residents, else '0' + NPWP15 with a valid Luhn check over the first 10 digits."""
    npwp = normalise(number)
    problem = npwp16_problem(npwp)
    if problem == "nik":
        try:
            parse_nik(npwp)
        except InvalidNIK as exc:
            raise InvalidNPWP(f"a 16-digit NPWP not starting with 0 must be a NIK: {exc.detail}",
                              reason="nik") from None
    if problem == "checksum":
        raise InvalidNPWP("the NPWP check digit is wrong", reason="checksum")
    if problem is not None:
        raise InvalidNPWP("an NPWP16 has 16 digits", reason="length_or_format")
    return npwp


def npwp15_to_npwp16(number: str) -> str:
    return "0" + validate_npwp15(number)


def validate_nitku(number: str) -> str:
    nitku = normalise(number)
    problem = nitku_problem(nitku)
    if problem in ("format", "length"):
        raise InvalidNITKU("a NITKU has 22 digits", reason="length_or_format")
    if problem is not None:
        try:
            validate_npwp16(nitku[:16])
        except InvalidNPWP as exc:
            raise InvalidNITKU(f"the NITKU's NPWP part is invalid: {exc.detail}", reason="npwp") from None
    return nitku


# Type prefixes of the numbers identity allocates.
FOREIGN_IDENTITY = "98"  # identity number of a foreigner without an NPWP (e.g. a foreign PIC)
FOREIGN_TAXPAYER = "08"
COMPANY = "01"


def new_number(prefix: str) -> str:
    """A random 16-digit number '0' + NPWP15: a 2-digit type prefix, a 6-digit serial, the Luhn check digit and 6
    more digits. The caller checks it against every NPWP and identity number in use, and draws again if taken."""
    body = prefix + f"{secrets.randbelow(10**6):06d}"
    check = next(d for d in "0123456789" if luhn_ok(body + d))
    return "0" + body + check + f"{secrets.randbelow(10**6):06d}"


def format_npwp15(number: str) -> str:
    n = validate_npwp15(number)
    return f"{n[:2]}.{n[2:5]}.{n[5:8]}.{n[8]}-{n[9:12]}.{n[12:]}"
