"""The legacy system's CSV export, read with no I/O: one row per taxpayer (LEGACY_COLUMNS); NPWP15 becomes
'0' + NPWP15; PKP status and e-mail are carried exactly (seed items 3, 13); `registered_on`, when given, is the
legacy system's registration date, which the taxpayer keeps (the years it owes an SPT Tahunan count from it: seed
item 24). A row that cannot be imported is reported with a stable code (ROW_CODES) and a sentence."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from identity.models import Taxpayer
from identity.numbers import InvalidNPWP, npwp15_to_npwp16, validate_npwp15
from kit.clock import JAKARTA
from kit.errors import ValidationFailed
from kit.text import LINE_BREAKS, character_problem, describe

LEGACY_COLUMNS = ("npwp15", "name", "kind", "is_pkp", "pkp_since", "email", "phone", "address", "registered_on")
REQUIRED_COLUMNS = ("npwp15", "name", "is_pkp", "email")
KINDS = ("individual", "company", "government")
# the longest value kept of each text column (as the API takes them)
MAX_TEXT = {"name": 200, "email": 254, "phone": 32, "address": 500}
# UU 6/1983 (KUP) came into force on 1 January 1984 and with it the NPWP: an earlier registration date is a typo
EARLIEST_REGISTRATION = date(1984, 1, 1)
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

# Why a row is not imported: its code, and what the code means.
ROW_CODES = {
    "legacy_import.npwp15_invalid": "npwp15 is not 15 digits with a valid check digit",
    "legacy_import.name_empty": "the name is empty",
    "legacy_import.text_invalid": "name, email, phone or address is too long or has a character no API takes",
    "legacy_import.is_pkp_invalid": "is_pkp is not a yes/no value",
    "legacy_import.date_invalid": "pkp_since or registered_on is not a date written YYYY-MM-DD",
    "legacy_import.registered_in_future": "registered_on is after today (Jakarta)",
    "legacy_import.registered_too_early": f"registered_on is before {EARLIEST_REGISTRATION} (UU KUP 1983)",
    "legacy_import.registered_after_pkp_since": "registered_on is after pkp_since: PKP before being registered",
}


class RowProblem(ValueError):
    """Why a row cannot be imported: one of ROW_CODES and a sentence about this row."""

    def __init__(self, code: str, message: str) -> None:
        assert code in ROW_CODES, code
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class LegacyRow:
    line: int
    npwp15: str
    npwp: str
    name: str
    kind: str
    is_pkp: bool
    pkp_since: date | None
    email: str | None  # exactly as in the legacy system, case included
    phone: str | None
    address: str | None
    registered_on: date | None = None  # the legacy system's registration date; None: the import day


@dataclass(frozen=True)
class RowError:
    line: int
    npwp15: str | None
    code: str  # one of ROW_CODES
    error: str


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    conflicts: list[dict[str, object]] = field(default_factory=list)
    errors: list[dict[str, object]] = field(default_factory=list)


def read(csv_text: str, *, today: date) -> Iterator[LegacyRow | RowError]:
    """Each data row, parsed, or the reason it cannot be (`today`: the Jakarta day of the import, which no
    registration date may follow). Raises ValidationFailed if required columns are missing."""
    reader = csv.DictReader(io.StringIO(csv_text.lstrip("\ufeff")))
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ValidationFailed(f"the CSV lacks columns: {', '.join(missing)}", expected=list(LEGACY_COLUMNS))
    rows = enumerate(reader, start=2)
    while True:
        try:
            line, row = next(rows)
        except StopIteration:
            return
        except csv.Error as exc:  # e.g. a field over the csv module's limit: the file is not one we can read
            raise ValidationFailed(f"the CSV cannot be read: {exc}") from None
        try:
            yield _parse(line, row, today)
        except RowProblem as exc:
            yield RowError(line, _text(row.get("npwp15"), 32), exc.code, str(exc))


def _parse(line: int, row: dict[str, str], today: date) -> LegacyRow:
    try:
        npwp15 = validate_npwp15(row["npwp15"] or "")
    except InvalidNPWP as exc:
        raise RowProblem("legacy_import.npwp15_invalid", exc.detail or exc.title) from None
    is_pkp = parse_yes_no(row["is_pkp"] or "")
    values = {column: _checked(column, row.get(column)) for column in MAX_TEXT}
    if not values["name"]:
        raise RowProblem("legacy_import.name_empty", "the name is empty")
    kind = (row.get("kind") or "company").strip().lower()
    pkp_since, registered_on = _date(row, "pkp_since"), _date(row, "registered_on")
    if registered_on is not None:
        if registered_on > today:
            raise RowProblem("legacy_import.registered_in_future", f"registered_on {registered_on} is after today")
        if registered_on < EARLIEST_REGISTRATION:
            raise RowProblem("legacy_import.registered_too_early",
                             f"registered_on {registered_on} is before {EARLIEST_REGISTRATION}")
        if pkp_since is not None and registered_on > pkp_since:
            raise RowProblem("legacy_import.registered_after_pkp_since",
                             f"registered_on {registered_on} is after pkp_since {pkp_since}")
    return LegacyRow(line=line, npwp15=npwp15, npwp=npwp15_to_npwp16(npwp15), name=values["name"] or "",
                     kind=kind if kind in KINDS else "company", is_pkp=is_pkp, pkp_since=pkp_since,
                     email=values["email"], phone=values["phone"], address=values["address"],
                     registered_on=registered_on)


def _date(row: dict[str, str], column: str) -> date | None:
    value = (row.get(column) or "").strip()
    if not value:
        return None
    try:
        if _ISO_DAY.fullmatch(value):
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise RowProblem("legacy_import.date_invalid", f"{column} {value[:40]!r} is not a date written YYYY-MM-DD")


def _text(value: str | None, limit: int | None = None) -> str | None:
    return (value or "").strip()[:limit] or None


def _checked(column: str, value: str | None) -> str | None:
    """A text column as kept, or RowProblem: too long, or a character no API would take (kit.text's policy)."""
    text = _text(value)
    if text is None:
        return None
    if len(text) > MAX_TEXT[column]:
        raise RowProblem("legacy_import.text_invalid", f"{column} is longer than {MAX_TEXT[column]} characters")
    found = character_problem(text, allowed=LINE_BREAKS if column == "address" else frozenset())
    if found is not None:
        raise RowProblem("legacy_import.text_invalid",
                         f"{column}: {describe(found[1])} (position {found[0]}) is not allowed")
    return text


def parse_yes_no(value: str) -> bool:
    v = (value or "").strip().lower()
    if v in ("1", "true", "ya", "y", "yes", "pkp"):
        return True
    if v in ("0", "false", "tidak", "n", "no", "non-pkp", ""):
        return False
    raise RowProblem("legacy_import.is_pkp_invalid", f"is_pkp {value[:40]!r} is not a yes/no value")


def differences(existing: Taxpayer, row: LegacyRow) -> dict[str, dict[str, object]]:
    """What the legacy row says that disagrees with the taxpayer here. An e-mail missing here is not a conflict:
    the import fills it in. A registration date is compared only when the row gives one (as a Jakarta day): one
    that differs is reported, never applied (nothing here moves a registration date)."""
    compared: list[tuple[str, object, object]] = [
        ("name", existing.name, row.name), ("email", existing.email, row.email), ("is_pkp", existing.is_pkp, row.is_pkp)]
    if row.registered_on is not None:
        compared.append(("registered_on", registered_day(existing).isoformat(), row.registered_on.isoformat()))
    return {k: {"here": here, "legacy": there} for k, here, there in compared
            if here != there and not (k == "email" and here is None)}


def registered_day(taxpayer: Taxpayer) -> date:
    return taxpayer.registered_at.astimezone(JAKARTA).date()
