"""How a notice's values read in each language: rupiah, dates, tax periods and codes turned into words. Pure, no
I/O beyond loading the packaged label table once.

A template names a format per parameter (`"formats": {"amount": "rupiah", "form": "label:form"}`); the handler
passes the raw value (a decimal string, an ISO date, a code), which is also what the message stores, and the
value is formatted for the language the notice is rendered in. So the dispatcher, re-rendering a message from its
stored parameters, writes exactly what the inbox shows.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from kit.money import CENTS, round_half_up, to_decimal
from notification.clock import WIB

LABELS_FILE = Path(__file__).resolve().parent / "labels.json"
MISSING = "-"

Formatter = Callable[[Any, str], str]

MONTHS = {
    "id": ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
           "November", "Desember"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
}


def rupiah(value: Any, locale: str) -> str:
    """Rp1.234.567,00 in Indonesian (dots group thousands, a comma before the sen); IDR 1,234,567.00 in English.
    Amounts arrive as decimal strings; rounded half up to the sen only for display."""
    amount = round_half_up(to_decimal(value), CENTS)
    sign = "-" if amount < 0 else ""
    text = f"{abs(amount):,.2f}"  # 1,234,567.00
    if locale == "id":
        return f"{sign}Rp{text.replace(',', '_').replace('.', ',').replace('_', '.')}"
    return f"{sign}IDR {text}"


def percent(value: Any, locale: str) -> str:
    """A rate as given (no rounding): 0,59% / 0.59%."""
    text = str(to_decimal(value))
    return f"{text.replace('.', ',') if locale == 'id' else text}%"


def long_date(value: Any, locale: str) -> str:
    """6 Desember 2026 / 6 December 2026."""
    day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    return f"{day.day} {_month(day.month, locale)} {day.year}"


def moment(value: Any, locale: str) -> str:
    """A point in time in Western Indonesian Time: 6 Desember 2026 14.05 WIB (Indonesian writes the time with a
    dot) / 6 December 2026 14:05 WIB. A time without a zone is taken as UTC, as events carry it."""
    at = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    local = at.astimezone(WIB)
    clock = f"{local.hour:02d}{'.' if locale == 'id' else ':'}{local.minute:02d}"
    return f"{long_date(local.date(), locale)} {clock} WIB"


def tax_period(value: Any, locale: str) -> str:
    """A masa pajak (YYYY-MM) or a tax year (YYYY): Masa Pajak November 2026 / Tahun Pajak 2025 in Indonesian,
    November 2026 / tax year 2025 in English."""
    text = str(value)
    if len(text) == 4 and text.isdigit():
        return f"Tahun Pajak {text}" if locale == "id" else f"tax year {text}"
    year, month = text.split("-")
    name = f"{_month(int(month), locale)} {int(year)}"
    return f"Masa Pajak {name}" if locale == "id" else name


def _month(month: int, locale: str) -> str:
    return MONTHS["id" if locale == "id" else "en"][month - 1]


def label(table: Mapping[str, Mapping[str, str]]) -> Formatter:
    """A code in words from a label table; a code the table does not know yet (a new form, a new reason) reads as
    itself rather than stopping the notice. A list of codes reads as a comma-separated list."""

    def one(code: Any, locale: str) -> str:
        names = table.get(str(code))
        if not names:
            return str(code)
        return names.get(locale) or names.get("id") or str(code)

    def fmt(value: Any, locale: str) -> str:
        if isinstance(value, list | tuple):
            return ", ".join(one(v, locale) for v in value) or MISSING
        return one(value, locale)

    return fmt


def schedule(value: Any, locale: str) -> str:
    """An instalment schedule (rows with `number`, `due_date`, `total`), one line per payment."""
    return "\n".join(f"{row['number']}. {long_date(row['due_date'], locale)}: {rupiah(row['total'], locale)}"
                     for row in value) or MISSING


FORMATS: dict[str, Formatter] = {"rupiah": rupiah, "percent": percent, "date": long_date, "datetime": moment,
                                 "period": tax_period, "schedule": schedule}


@lru_cache
def packaged_labels() -> dict[str, dict[str, dict[str, str]]]:
    """`labels.json`: table -> code -> {"id": ..., "en": ...}."""
    raw = json.loads(LABELS_FILE.read_text(encoding="utf-8"))
    return {table: codes for table, codes in raw.items() if not table.startswith("_")}


def formatter(spec: str, labels: Mapping[str, Mapping[str, Mapping[str, str]]] | None = None) -> Formatter:
    """The formatter a template names: one of FORMATS, or `label:<table>`. KeyError when there is none."""
    if spec.startswith("label:"):
        tables = packaged_labels() if labels is None else labels
        return label(tables[spec.removeprefix("label:")])
    return FORMATS[spec]


def nullable(fmt: Formatter) -> Formatter:
    """An absent value reads as '-' whatever its format."""
    return lambda value, locale: MISSING if value is None else fmt(value, locale)
