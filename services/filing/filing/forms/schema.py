"""A form as data (no I/O but reading the packaged schemas): its fields, the attachments it takes and requires
(UU KUP Art 3(6), 3(7)(b)), and how its payments and balance follow from the entries.

A schema (`data/<form>.json`):
- `fields`: name -> {type: amount | signed_amount | integer | text | code | list, ...}; a `code` lists its `codes`,
  a `text` its `max_length`, a `list` its `items` (fields of a row), `required` (of a row) and `max_items`;
- `required`: the fields a draft may leave out but a submission may not;
- `attachments` / `required_attachments`: the attachment codes the form takes, and those it cannot be filed without;
- `payments`: one per KAP-KJS, the sum of the `add` fields minus the `subtract` fields (> 0 owed, < 0 overpaid), or
  `payments_by_row`: a list whose rows each name their KAP-KJS and amount (SPT Masa PPh Unifikasi: totals per KAP);
- `loss_field`: a signed field whose negative value is a loss (UU KUP Art 8(1a));
- `obligation` (deadlines, late fines) and `kap` (the KAP of the form's STP and SKP).
Amounts: at most 2 decimals; what a payment asks is whole rupiah, rounded half-up once per KAP-KJS.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from importlib import resources
from typing import Any

from filing.calendar.errors import PeriodInvalid
from filing.calendar.periods import TaxPeriod, TaxYear, parse_period
from filing.forms.errors import AttachmentUnknown, FieldInvalid, FieldRequired, FieldUnknown, FormUnknown
from filing.obligations.kinds import ANNUAL, Obligation
from filing.returns.amounts import MAX_AMOUNT, entered_amount
from filing.returns.errors import AmountTooLarge, AmountTooPrecise
from kit.money import CENTS, round_half_up

MAX_INTEGER = 10**9
AMOUNT_TYPES = frozenset({"amount", "signed_amount"})


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    codes: frozenset[str] = frozenset()
    max_length: int = 500
    items: Mapping[str, Field] | None = None
    required: tuple[str, ...] = ()
    max_items: int = 100


@dataclass(frozen=True)
class PaymentRule:
    kap_kjs: str
    add: tuple[str, ...]
    subtract: tuple[str, ...] = ()


@dataclass(frozen=True)
class RowPayments:
    list: str
    kap_kjs: str
    amount: str


@dataclass(frozen=True)
class FormSchema:
    form: str
    title: str
    obligation: Obligation
    kap: str
    fields: Mapping[str, Field]
    required: tuple[str, ...]
    attachments: frozenset[str]
    required_attachments: frozenset[str]
    payments: tuple[PaymentRule, ...] = ()
    payments_by_row: RowPayments | None = None
    loss_field: str | None = None

    @property
    def annual(self) -> bool:
        return self.obligation in ANNUAL

    def period(self, text: str) -> TaxPeriod | TaxYear:
        """`YYYY` for an annual form, `YYYY-MM` for a masa one."""
        period = parse_period(text)
        if self.annual != isinstance(period, TaxYear):
            shape = "a tax year YYYY" if self.annual else "a masa pajak YYYY-MM"
            raise PeriodInvalid(f"the period of {self.form} is {shape}", path="/period", period=text)
        return period


def _field(name: str, raw: Mapping[str, Any]) -> Field:
    items = {k: _field(k, v) for k, v in raw.get("items", {}).items()} if raw["type"] == "list" else None
    return Field(name, raw["type"], frozenset(raw.get("codes", ())), int(raw.get("max_length", 500)), items,
                 tuple(raw.get("required", ())), int(raw.get("max_items", 100)))


def from_data(raw: Mapping[str, Any]) -> FormSchema:
    fields = {name: _field(name, f) for name, f in raw["fields"].items()}
    by_row = raw.get("payments_by_row")
    schema = FormSchema(
        form=raw["form"], title=raw["title"], obligation=Obligation(raw["obligation"]), kap=raw["kap"],
        fields=fields, required=tuple(raw.get("required", ())), attachments=frozenset(raw.get("attachments", ())),
        required_attachments=frozenset(raw.get("required_attachments", ())),
        payments=tuple(PaymentRule(p["kap_kjs"], tuple(p["add"]), tuple(p.get("subtract", ())))
                       for p in raw.get("payments", ())),
        payments_by_row=RowPayments(by_row["list"], by_row["kap_kjs"], by_row["amount"]) if by_row else None,
        loss_field=raw.get("loss_field"))
    _check(schema)
    return schema


def _check(s: FormSchema) -> None:
    """A schema that names a field it lacks is a packaging error, caught when it loads."""
    named = [*s.required, *(n for p in s.payments for n in (*p.add, *p.subtract))]
    if s.loss_field:
        named.append(s.loss_field)
    for name in named:
        if name not in s.fields:
            raise ValueError(f"{s.form}: {name} is not a field")
    if not s.required_attachments <= s.attachments:
        raise ValueError(f"{s.form}: a required attachment is not listed")
    if s.payments_by_row:
        rows = s.fields[s.payments_by_row.list].items or {}
        if s.payments_by_row.kap_kjs not in rows or s.payments_by_row.amount not in rows:
            raise ValueError(f"{s.form}: payments_by_row names fields its list lacks")


@lru_cache(maxsize=1)
def _packaged() -> dict[str, tuple[FormSchema, dict[str, Any]]]:
    out: dict[str, tuple[FormSchema, dict[str, Any]]] = {}
    for entry in resources.files("filing.forms.data").iterdir():
        if entry.name.endswith(".json"):
            raw = json.loads(entry.read_text(encoding="utf-8"))
            schema = from_data(raw)
            if schema.form in out:
                raise ValueError(f"form {schema.form} is packaged twice")
            out[schema.form] = (schema, raw)
    return out


def forms() -> dict[str, FormSchema]:
    return {name: schema for name, (schema, _) in _packaged().items()}


def raw_schema(name: str) -> dict[str, Any]:
    """The form's schema as packaged (what front ends render)."""
    form(name)
    return _packaged()[name][1]


def form(name: str) -> FormSchema:
    try:
        return _packaged()[name][0]
    except KeyError:
        raise FormUnknown(f"no form {name!r}", path="/form", form=name) from None


# -- validation --------------------------------------------------------------------------------------------------
def _amount(value: Any, path: str, *, signed: bool) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise FieldInvalid(f"{path}: an amount is a decimal string", path=path)
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise FieldInvalid(f"{path}: {str(value)[:40]!r} is not an amount", path=path) from None
    if signed and amount.is_finite() and amount < 0:
        if -amount > MAX_AMOUNT:
            raise AmountTooLarge(f"{path}: {amount} exceeds -{MAX_AMOUNT}", path=path)
        if amount != amount.quantize(CENTS):
            raise AmountTooPrecise(f"{path}: {amount} has more than 2 decimals", path=path)
        return f"{amount.quantize(CENTS):f}"
    return f"{entered_amount(amount, path=path):f}"


def _value(f: Field, value: Any, path: str) -> Any:
    if f.type in AMOUNT_TYPES:
        return _amount(value, path, signed=f.type == "signed_amount")
    if f.type == "integer":
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_INTEGER:
            raise FieldInvalid(f"{path}: a whole number from 0 to {MAX_INTEGER}", path=path)
        return value
    if f.type == "text":
        if not isinstance(value, str) or len(value) > f.max_length:
            raise FieldInvalid(f"{path}: text of at most {f.max_length} characters", path=path)
        return value
    if f.type == "code":
        if not isinstance(value, str) or value not in f.codes:
            raise FieldInvalid(f"{path}: one of {', '.join(sorted(f.codes))}", path=path)
        return value
    if f.type == "list":
        if not isinstance(value, list) or len(value) > f.max_items:
            raise FieldInvalid(f"{path}: a list of at most {f.max_items} rows", path=path)
        return [_entries(f.items or {}, row, f"{path}/{i}", f.required, complete=True)
                for i, row in enumerate(value)]
    raise ValueError(f"unknown field type {f.type}")


def _entries(fields: Mapping[str, Field], values: Any, path: str, required: tuple[str, ...], *,
             complete: bool) -> dict[str, Any]:
    if not isinstance(values, dict):
        raise FieldInvalid(f"{path or '/'}: an object", path=path or "/")
    out: dict[str, Any] = {}
    for name, value in values.items():
        if name not in fields:
            raise FieldUnknown(f"{path}/{name}: no such field", path=f"{path}/{name}")
        if value is not None:
            out[name] = _value(fields[name], value, f"{path}/{name}")
    if complete:
        for name in required:
            if name not in out:
                raise FieldRequired(f"{path}/{name} is required", path=f"{path}/{name}")
    return out


def validate(schema: FormSchema, figures: Any, attachments: Any) -> tuple[dict[str, Any], list[str]]:
    """A draft's entries, checked and normalised (amounts as strings with 2 decimals). Rows of a list are complete;
    the form's own required fields are checked at submission (`missing_fields`)."""
    entries = _entries(schema.fields, figures, "/figures", schema.required, complete=False)
    if not isinstance(attachments, list) or not all(isinstance(a, str) for a in attachments):
        raise FieldInvalid("/attachments: a list of attachment codes", path="/attachments")
    for i, code in enumerate(attachments):
        if code not in schema.attachments:
            raise AttachmentUnknown(f"{code!r}: one of {', '.join(sorted(schema.attachments))}",
                                    path=f"/attachments/{i}")
    return entries, sorted(set(attachments))


def missing_fields(schema: FormSchema, entries: Mapping[str, Any]) -> list[str]:
    return [name for name in schema.required if name not in entries]


# -- computation -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Computed:
    parts: dict[str, Decimal]  # KAP-KJS -> net (> 0 owed, < 0 overpaid), whole rupiah
    balance: Decimal
    outcome: str  # kurang_bayar | lebih_bayar | nihil
    amount_due: Decimal  # the sum of what is owed per KAP-KJS
    overpayment: Decimal
    loss: bool

    @property
    def payable(self) -> dict[str, Decimal]:
        return {k: v for k, v in self.parts.items() if v > 0}


def _number(entries: Mapping[str, Any], name: str) -> Decimal:
    return Decimal(entries.get(name, "0"))


def compute(schema: FormSchema, entries: Mapping[str, Any]) -> Computed:
    parts: dict[str, Decimal] = {}
    for rule in schema.payments:
        net = sum((_number(entries, n) for n in rule.add), Decimal(0)) - \
            sum((_number(entries, n) for n in rule.subtract), Decimal(0))
        parts[rule.kap_kjs] = parts.get(rule.kap_kjs, Decimal(0)) + net
    if schema.payments_by_row:
        r = schema.payments_by_row
        for row in entries.get(r.list, []):
            parts[row[r.kap_kjs]] = parts.get(row[r.kap_kjs], Decimal(0)) + Decimal(row[r.amount])
    parts = {k: round_half_up(v) for k, v in sorted(parts.items())}
    balance = sum(parts.values(), Decimal(0))
    amount_due = sum((v for v in parts.values() if v > 0), Decimal(0))
    overpayment = -sum((v for v in parts.values() if v < 0), Decimal(0))
    outcome = "kurang_bayar" if amount_due > 0 else "lebih_bayar" if overpayment > 0 else "nihil"
    loss = schema.loss_field is not None and _number(entries, schema.loss_field) < 0
    return Computed(parts, balance, outcome, amount_due, overpayment, loss)
