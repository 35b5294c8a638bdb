"""Pure lifecycle rules (tax-rules §3.6-3.9): the upload deadline and the late flag, who the buyer is, what a
replacement may not change, the amounts of a Nota Retur, the input-tax window. No I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from invoice.clock import JAKARTA, period_index, today_jakarta
from invoice.lifecycle.errors import LifecycleInvalid

CENT = Decimal("0.01")
# buyer identity: a mistake here is corrected by cancellation and a new invoice, never by replacement (§3.7)
BUYER_IDENTITY = ("buyer_document", "buyer_tin", "buyer_document_number", "buyer_country", "buyer_nitku")
_BUYER_IDENTITY_FIELDS = ("document", "tin", "document_number", "country", "nitku")
RETURN_AMOUNTS = ("tax_base", "other_tax_base", "vat", "stlg")


def upload_deadline(invoice_date: date) -> date:
    """The 20th of the month after the invoice date (PER-11 Art 44)."""
    year, month = (invoice_date.year + 1, 1) if invoice_date.month == 12 else (invoice_date.year, invoice_date.month + 1)
    return date(year, month, 20)


def signed_late(invoice_date: date, signed_at: datetime) -> bool:
    """Signed (approved) after the upload deadline, on the Jakarta calendar: the faktur was made late (UU KUP Art
    14(4)), the fact `InvoiceSigned.late` carries to filing's sanctions."""
    return signed_at.astimezone(JAKARTA).date() > upload_deadline(invoice_date)


def warnings_of(row: dict[str, Any]) -> list[dict[str, Any]]:
    """`invoice.late_upload`: signed after the upload deadline (or, for a draft, the deadline has passed)."""
    deadline = upload_deadline(row["invoice_date"])
    if row.get("signed_at") is not None:
        when = row["signed_at"].astimezone(JAKARTA).date()
        if signed_late(row["invoice_date"], row["signed_at"]):
            return [{"code": "invoice.late_upload", "deadline": deadline.isoformat(),
                     "message": f"signed on {when.isoformat()}, after the upload deadline {deadline.isoformat()}"}]
        return []
    if row["status"] == "draft" and today_jakarta() > deadline:
        return [{"code": "invoice.late_upload", "deadline": deadline.isoformat(),
                 "message": f"the upload deadline {deadline.isoformat()} has passed: signing it now makes it late"}]
    return []


def buyer_npwp(row: dict[str, Any]) -> str | None:
    """The buyer's NPWP, when the buyer is identified by one (only such a buyer returns goods or credits tax)."""
    return row["buyer_tin"] if row["buyer_document"] == "TIN" else None


def check_buyer_body(original: dict[str, Any], buyer: dict[str, Any] | None) -> None:
    """Before validation: a change of the buyer's identity fields in the request is refused as such."""
    changed = [f"buyer.{k}" for k in _BUYER_IDENTITY_FIELDS
               if buyer and buyer.get(k) is not None and str(buyer[k]) != str(original[f"buyer_{k}"] or "")]
    if changed:
        raise LifecycleInvalid("replacement.buyer_identity_changed",
                               f"changed: {', '.join(changed)}; cancel the invoice and issue a new one")


def check_buyer_identity(original: dict[str, Any], data: dict[str, Any]) -> None:
    """After validation: the replacement's buyer is the original's (as normalised)."""
    changed = [k for k in BUYER_IDENTITY if (original[k] or None) != (data[k] or None)]
    if changed:
        raise LifecycleInvalid("replacement.buyer_identity_changed",
                               f"changed: {', '.join(changed)}; cancel the invoice and issue a new one")


# -- Nota Retur -----------------------------------------------------------------------------------------------------
def _q(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _whole(value: Decimal) -> Decimal:
    return value.quantize(Decimal(1), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Returned:
    """What earlier returns took of one invoice line."""

    qty: Decimal
    tax_base: Decimal
    other_tax_base: Decimal
    vat: Decimal
    stlg: Decimal


def check_return_date(when: date, invoice_date: date, today: date) -> None:
    if when < invoice_date:
        raise LifecycleInvalid("return.date_before_invoice")
    if when > today:
        raise LifecycleInvalid("return.date_in_future")


def return_lines(invoiced: dict[int, dict[str, Any]], returned: dict[int, Returned],
                 asked: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The lines of a Nota Retur: each asked line's share of the invoiced line (qty / invoiced qty, 2 dp half-up);
    the return that completes a line takes the remainder, so the returns of a line sum exactly to it. The cumulative
    quantity never exceeds the invoiced one."""
    if not asked:
        raise LifecycleInvalid("return.empty")
    seen: set[int] = set()
    out = []
    for i, item in enumerate(asked):
        no, qty = int(item["line_no"]), Decimal(str(item["qty"]))
        if no not in invoiced:
            raise LifecycleInvalid("return.line_unknown", f"lines[{i}].line_no {no}")
        if no in seen:
            raise LifecycleInvalid("return.line_repeated", f"lines[{i}].line_no {no}")
        seen.add(no)
        if qty <= 0:
            raise LifecycleInvalid("return.qty_not_positive", f"lines[{i}].qty")
        line, before = invoiced[no], returned.get(no)
        done = before.qty if before else Decimal(0)
        if done + qty > line["qty"]:
            raise LifecycleInvalid("return.qty_exceeds_invoiced",
                                   f"lines[{i}]: line {no} invoiced {line['qty']}, returned {done}, asked {qty}")
        amounts = {}
        for field in RETURN_AMOUNTS:
            if done + qty == line["qty"]:  # the last return takes the remainder: the sum is exactly the line
                amounts[field] = line[field] - (getattr(before, field) if before else Decimal(0))
            else:
                amounts[field] = _q(line[field] * qty / line["qty"])
        out.append({"line_no": no, "qty": qty, **amounts})
    return out


def return_totals(lines: list[dict[str, Any]]) -> dict[str, Decimal]:
    """The Nota Retur's totals, whole rupiah half-up."""
    return {"dpp": _whole(sum((x["tax_base"] for x in lines), Decimal(0))),
            "dpp_other": _whole(sum((x["other_tax_base"] for x in lines), Decimal(0))),
            "ppn": _whole(sum((x["vat"] for x in lines), Decimal(0))),
            "ppnbm": _whole(sum((x["stlg"] for x in lines), Decimal(0)))}


# -- input tax ------------------------------------------------------------------------------------------------------
def check_input_tax_period(action: str, period: str, invoice_period: str, current_period: str) -> None:
    """A credit in the invoice's period up to 3 periods after (UU PPN Art 9(9)); no decision in a future period."""
    if action == "credit":
        offset = period_index(period) - period_index(invoice_period)
        if not 0 <= offset <= 3:
            raise LifecycleInvalid("input_tax.outside_window",
                                   f"invoice period {invoice_period}: credit in {invoice_period} up to 3 periods "
                                   f"after; asked {period}")
    if period_index(period) > period_index(current_period):
        raise LifecycleInvalid("input_tax.period_in_future")
