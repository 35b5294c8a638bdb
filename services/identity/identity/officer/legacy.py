"""The legacy system's CSV export, read with no I/O: one row per taxpayer (LEGACY_COLUMNS); NPWP15 becomes
'0' + NPWP15; PKP status and e-mail are carried exactly (seed items 3, 13)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from identity.models import Taxpayer
from identity.numbers import InvalidNPWP, npwp15_to_npwp16, validate_npwp15
from kit.errors import ValidationFailed
from kit.text import LINE_BREAKS, character_problem, describe

LEGACY_COLUMNS = ("npwp15", "name", "kind", "is_pkp", "pkp_since", "email", "phone", "address")
REQUIRED_COLUMNS = ("npwp15", "name", "is_pkp", "email")
KINDS = ("individual", "company", "government")
# the longest value kept of each text column (as the API takes them)
MAX_TEXT = {"name": 200, "email": 254, "phone": 32, "address": 500}


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


@dataclass(frozen=True)
class RowError:
    line: int
    npwp15: str | None
    error: str


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    conflicts: list[dict[str, object]] = field(default_factory=list)
    errors: list[dict[str, object]] = field(default_factory=list)


def read(csv_text: str) -> Iterator[LegacyRow | RowError]:
    """Each data row, parsed, or the reason it cannot be. Raises ValidationFailed if required columns are missing."""
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
            yield _parse(line, row)
        except (InvalidNPWP, ValueError) as exc:
            yield RowError(line, _text(row.get("npwp15"), 32), str(exc))


def _parse(line: int, row: dict[str, str]) -> LegacyRow:
    npwp15 = validate_npwp15(row["npwp15"] or "")
    is_pkp = parse_yes_no(row["is_pkp"] or "")
    values = {column: _checked(column, row.get(column)) for column in MAX_TEXT}
    if not values["name"]:
        raise ValueError("the name is empty")
    kind = (row.get("kind") or "company").strip().lower()
    since = (row.get("pkp_since") or "").strip()
    return LegacyRow(line=line, npwp15=npwp15, npwp=npwp15_to_npwp16(npwp15), name=values["name"] or "",
                     kind=kind if kind in KINDS else "company", is_pkp=is_pkp,
                     pkp_since=date.fromisoformat(since) if since else None, email=values["email"],
                     phone=values["phone"], address=values["address"])


def _text(value: str | None, limit: int | None = None) -> str | None:
    return (value or "").strip()[:limit] or None


def _checked(column: str, value: str | None) -> str | None:
    """A text column as kept, or ValueError: too long, or a character no API would take (kit.text's policy)."""
    text = _text(value)
    if text is None:
        return None
    if len(text) > MAX_TEXT[column]:
        raise ValueError(f"{column} is longer than {MAX_TEXT[column]} characters")
    found = character_problem(text, allowed=LINE_BREAKS if column == "address" else frozenset())
    if found is not None:
        raise ValueError(f"{column}: {describe(found[1])} (position {found[0]}) is not allowed")
    return text


def parse_yes_no(value: str) -> bool:
    v = (value or "").strip().lower()
    if v in ("1", "true", "ya", "y", "yes", "pkp"):
        return True
    if v in ("0", "false", "tidak", "n", "no", "non-pkp", ""):
        return False
    raise ValueError(f"is_pkp {value!r} is not a yes/no value")


def differences(existing: Taxpayer, row: LegacyRow) -> dict[str, dict[str, object]]:
    """What the legacy row says that disagrees with the taxpayer here. An e-mail missing here is not a conflict:
    the import fills it in."""
    return {k: {"here": here, "legacy": there} for k, here, there in (
        ("name", existing.name, row.name), ("email", existing.email, row.email),
        ("is_pkp", existing.is_pkp, row.is_pkp)) if here != there and not (k == "email" and here is None)}
