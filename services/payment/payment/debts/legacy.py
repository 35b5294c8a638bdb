"""The legacy debt export (seed 000 item 16: STP and SKP issued before Coretax were missing, so taxpayers could not
pay them), read and checked row by row with no I/O, and the reconciliation of a file.

The file is UTF-8 CSV with a header naming the columns (any order): `npwp` (NPWP16, or the legacy NPWP15 with or
without its dots and dash), `kap_kjs`, `period` and/or `assessment_number` (what the KAP-KJS takes, exactly as on a
billing code), `amount` (whole rupiah), `issued_on` and `due_date` (YYYY-MM-DD) and `legacy_reference` (the legacy
system's key of the row: unique, it makes a second import of the same row import nothing). Blank lines are skipped.

A row is imported, found already imported (the same reference with the same contents), or rejected with a stable
code (`ROW_CODES`). The reconciliation counts rows and amounts per outcome and per KAP-KJS as written in the file;
its totals equal the file's, because every row lands in exactly one outcome. A row whose amount is not a number
counts in the rows and adds nothing to the amounts (`unreadable_amounts` says how many).
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import IO, Literal

from kit.errors import AppError
from kit.identifiers import npwp15_problem, npwp16_problem
from payment.billing.amount import check_amount
from payment.billing.errors import AmountInvalid
from payment.billing.kap_kjs import BillingSubject
from payment.debts.errors import LegacyFileEmpty, LegacyFileUnreadable, LegacyHeaderInvalid
from payment.debts.rules import debt_subject, kind_of

COLUMNS = ("npwp", "kap_kjs", "period", "assessment_number", "amount", "issued_on", "due_date", "legacy_reference")
REQUIRED = ("npwp", "kap_kjs", "amount", "issued_on", "due_date", "legacy_reference")
REFERENCE_MAX = 128
_AMOUNT = re.compile(r"[0-9]+(\.[0-9]+)?")
ZERO = Decimal(0)

# Why a row is rejected. The KAP-KJS, period, STP/SKP number and amount are checked by the billing rules and carry
# their codes, so a row is refused for exactly what a billing code would be refused for.
ROW_CODES = {
    "legacy_debt.columns": "the row has more or fewer fields than the header",
    "legacy_debt.reference_invalid": f"legacy_reference is empty, longer than {REFERENCE_MAX} or not printable",
    "legacy_debt.reference_repeated": "an earlier row of this file has the same legacy_reference",
    "legacy_debt.reference_conflict": "this legacy_reference was imported before with other contents",
    "legacy_debt.npwp_invalid": "not an NPWP16 or NPWP15 (length, digits or check digit)",
    "legacy_debt.date_invalid": "issued_on or due_date is not a date written YYYY-MM-DD",
    "legacy_debt.due_before_issue": "due_date is before issued_on",
    "debt.not_a_debt": "411618-100 tops up the deposit; it is not a debt",
    "debt.assessment_already_recorded": "a debt of this taxpayer already has this KAP-KJS and STP/SKP number",
    "billing.kap_kjs_invalid": "KAP-KJS is not 6 digits, a dash and 3 digits",
    "billing.kap_unknown": "unknown KAP",
    "billing.kjs_not_for_kap": "the KJS does not go with the KAP",
    "billing.period_required": "this KAP-KJS needs a tax period",
    "billing.period_invalid": "the period is not in the form the KAP-KJS needs (YYYY-MM or YYYY)",
    "billing.period_not_applicable": "this KAP-KJS takes no period (it pays an STP/SKP: give only its number)",
    "billing.assessment_number_required": "this KAP-KJS pays an STP/SKP: give its number",
    "billing.assessment_number_invalid": "the STP/SKP number is too long or not printable",
    "billing.assessment_number_not_applicable": "this KAP-KJS does not pay an STP/SKP",
    "billing.amount_invalid": "the amount is not a positive whole-rupiah number written as digits",
}

Outcome = Literal["imported", "already_imported", "rejected"]
OUTCOMES: tuple[Outcome, ...] = ("imported", "already_imported", "rejected")


@dataclass(frozen=True)
class LegacyDebtRow:
    line: int
    reference: str
    npwp: str
    subject: BillingSubject
    kind: str
    amount: Decimal
    issued_on: date
    due_date: date

    @property
    def kap_kjs(self) -> str:
        return self.subject.rule.kap_kjs

    def facts(self) -> tuple[object, ...]:
        """What must be equal for a row to be the one imported before under its reference."""
        return (self.npwp, self.subject.rule.kap, self.subject.rule.kjs, self.subject.period,
                self.subject.assessment_number, self.amount, self.issued_on, self.due_date)


@dataclass(frozen=True)
class Rejection:
    line: int
    reference: str | None
    kap_kjs: str
    amount: Decimal | None
    code: str
    detail: str


@dataclass
class Tally:
    rows: int = 0
    amount: Decimal = ZERO

    def add(self, amount: Decimal | None) -> None:
        self.rows += 1
        self.amount += amount or ZERO


@dataclass
class Reconciliation:
    """Rows and amounts of a file: in total, per outcome, per KAP-KJS (as written in the file) and outcome."""

    file: Tally = field(default_factory=Tally)
    outcomes: dict[Outcome, Tally] = field(default_factory=lambda: {o: Tally() for o in OUTCOMES})
    by_kap_kjs: dict[str, dict[Outcome | Literal["file"], Tally]] = field(default_factory=dict)
    rejections: list[Rejection] = field(default_factory=list)
    rejections_by_code: Counter[str] = field(default_factory=Counter)
    unreadable_amounts: int = 0
    listed_rejections_max: int = 10_000

    def count(self, outcome: Outcome, kap_kjs: str, amount: Decimal | None) -> None:
        self.outcomes[outcome].add(amount)
        self._line(kap_kjs)[outcome].add(amount)

    def reject(self, rejection: Rejection) -> None:
        self.count("rejected", rejection.kap_kjs, rejection.amount)
        self.rejections_by_code[rejection.code] += 1
        if len(self.rejections) < self.listed_rejections_max:
            self.rejections.append(rejection)

    def add(self, outcome: Outcome, kap_kjs: str, rows: int, amount: Decimal, code: str | None = None) -> None:
        """`rows` rows of one KAP-KJS with one outcome at once (what the database found for the staged rows); a
        rejection's `code` is counted, and the rows are listed with `list_first`."""
        for tally in (self.outcomes[outcome], self._line(kap_kjs)[outcome]):
            tally.rows += rows
            tally.amount += amount
        if code is not None:
            self.rejections_by_code[code] += rows

    def list_first(self, rejections: list[Rejection]) -> None:
        """Rejected rows already counted (`add`) listed with the others: the first of the file, as many as room."""
        merged = sorted([*self.rejections, *rejections], key=lambda r: r.line)
        self.rejections = merged[:self.listed_rejections_max]

    def saw(self, kap_kjs: str, amount: Decimal | None) -> None:
        """A data row of the file, whatever becomes of it."""
        self.file.add(amount)
        self._line(kap_kjs)["file"].add(amount)
        if amount is None:
            self.unreadable_amounts += 1

    @property
    def balanced(self) -> bool:
        """Every row of the file in exactly one outcome, for rows and amounts, overall and per KAP-KJS."""
        def sums(tallies: list[Tally]) -> tuple[int, Decimal]:
            return sum(t.rows for t in tallies), sum((t.amount for t in tallies), ZERO)

        if sums(list(self.outcomes.values())) != (self.file.rows, self.file.amount):
            return False
        return all(sums([line[o] for o in OUTCOMES]) == (line["file"].rows, line["file"].amount)
                   for line in self.by_kap_kjs.values())

    def _line(self, kap_kjs: str) -> dict[Outcome | Literal["file"], Tally]:
        line = self.by_kap_kjs.get(kap_kjs)
        if line is None:
            line = self.by_kap_kjs[kap_kjs] = {o: Tally() for o in ("file", *OUTCOMES)}
        return line


class LegacyFile:
    """The rows of one file, in order: each a `LegacyDebtRow` or a `Rejection`, counted in `reconciliation` as the
    file's (the caller counts the outcome: imported, already imported, or rejected by what the database knows)."""

    def __init__(self, content: bytes | IO[bytes], reconciliation: Reconciliation | None = None) -> None:
        self.reconciliation = reconciliation or Reconciliation()
        source = io.BytesIO(content) if isinstance(content, bytes) else content  # a file is read as it goes
        self._reader = csv.reader(io.TextIOWrapper(source, encoding="utf-8-sig", newline=""))
        self._columns = self._header()
        self._seen: set[str] = set()

    def _header(self) -> dict[str, int]:
        try:
            header = next(self._reader, None)
        except UnicodeDecodeError:
            raise LegacyFileUnreadable("the file is not UTF-8 text", reason="encoding") from None
        except csv.Error as exc:
            raise LegacyFileUnreadable(f"the header cannot be read: {exc}", reason="csv", line=1) from None
        if not header or not any(h.strip() for h in header):
            raise LegacyFileEmpty("the file has no header line")
        names = [h.strip().lower() for h in header]
        missing = [c for c in REQUIRED if c not in names]
        unknown = [n for n in names if n not in COLUMNS]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if missing or unknown or repeated or not ({"period", "assessment_number"} & set(names)):
            raise LegacyHeaderInvalid("the header must name the legacy debt columns, each once",
                                      missing=missing, unknown=unknown, repeated=repeated, expected=list(COLUMNS))
        return {name: i for i, name in enumerate(names)}

    def __iter__(self) -> Iterator[LegacyDebtRow | Rejection]:
        width = len(self._columns)
        # Where each column is in a row's fields; a column the header does not name reads the blank appended last.
        at = [self._columns.get(name, -1) for name in COLUMNS]
        try:
            for fields in self._reader:
                line = self._reader.line_num
                values = [f.strip() for f in fields]
                if not any(values):
                    continue
                if len(values) < width:
                    values += [""] * (width - len(values))
                values.append("")
                yield self._row(line, values, len(fields), width, at)
        except UnicodeDecodeError:
            raise LegacyFileUnreadable("the file is not UTF-8 text", reason="encoding") from None
        except csv.Error as exc:
            line = self._reader.line_num
            raise LegacyFileUnreadable(f"line {line} cannot be read: {exc}", reason="csv", line=line) from None

    def _row(self, line: int, values: list[str], fields: int, width: int,
             at: list[int]) -> LegacyDebtRow | Rejection:
        raw_npwp, kap_kjs, period, number, raw_amount, issued, due, reference = (values[i] for i in at)
        amount = _number(raw_amount)
        self.reconciliation.saw(kap_kjs, amount)

        def rejected(code: str, detail: str) -> Rejection:
            return Rejection(line, reference or None, kap_kjs, amount, code, detail)

        if fields != width:
            return rejected("legacy_debt.columns", f"{fields} fields, the header names {width}")
        if not reference or len(reference) > REFERENCE_MAX or not reference.isprintable():
            return rejected("legacy_debt.reference_invalid", ROW_CODES["legacy_debt.reference_invalid"])
        if reference in self._seen:
            return rejected("legacy_debt.reference_repeated", f"legacy_reference {reference!r} appears again")
        self._seen.add(reference)
        npwp = _npwp(raw_npwp)
        if npwp is None:
            return rejected("legacy_debt.npwp_invalid", f"not an NPWP: {raw_npwp!r}")
        try:
            subject = debt_subject(kap_kjs, period=period or None, assessment_number=number or None, strict=True)
            checked = check_amount(raw_amount if amount is None else amount)
        except AppError as exc:
            return rejected(exc.code, exc.detail)
        if not _AMOUNT.fullmatch(raw_amount):  # 1e3 is a number, but no export writes rupiah so
            return rejected(AmountInvalid.code, f"the amount {raw_amount!r} is not written as digits")
        issued_on, due_date = _date(issued), _date(due)
        if issued_on is None or due_date is None:
            which, raw = ("issued_on", issued) if issued_on is None else ("due_date", due)
            return rejected("legacy_debt.date_invalid", f"{which} {raw!r} is not a date (YYYY-MM-DD)")
        if due_date < issued_on:
            return rejected("legacy_debt.due_before_issue", f"due {due_date} before issue {issued_on}")
        return LegacyDebtRow(line, reference, npwp, subject, kind_of(subject), checked, issued_on, due_date)


def _number(raw: str) -> Decimal | None:
    try:
        value = Decimal(raw)
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


@lru_cache(maxsize=1 << 16)  # a legacy export lists many debts per taxpayer
def _npwp(raw: str) -> str | None:
    """NPWP16, or '0' + a legacy NPWP15 (dots, dash and blanks removed); None when it is neither."""
    digits = "".join(ch for ch in raw if ch not in ".- ")
    if len(digits) == 15 and npwp15_problem(digits) is None:
        return "0" + digits
    if len(digits) == 16 and npwp16_problem(digits) is None:
        return digits
    return None


@lru_cache(maxsize=1 << 12)
def _date(raw: str) -> date | None:
    if len(raw) != 10:  # fromisoformat would also take 20251231 and week dates
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None
