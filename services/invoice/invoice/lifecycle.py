"""Lifecycle of a signed invoice (tax-rules §3.6-3.9): cancellation and replacement by the seller, Nota Retur and
the input-tax decision by the buyer, and the late-upload flag. Each action is one transaction that locks the invoice
row (so concurrent actions on one invoice are ordered) and publishes its event through the outbox."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.invoice import InputTaxCredited, InvoiceCancelled, ReturnIssued
from invoice import service
from invoice.errors import InvoiceNotFound, LifecycleInvalid, LifecycleRefused, NotTheBuyer, NotTheSeller
from invoice.models import invoice, invoice_line, invoice_return, invoice_return_line
from kit.auth import MissingScope, Principal
from kit.db import UnitOfWork
from kit.outbox import publish

CENT = Decimal("0.01")
# buyer identity: a mistake here is corrected by cancellation and a new invoice, never by replacement (§3.7)
BUYER_IDENTITY = ("buyer_document", "buyer_tin", "buyer_document_number", "buyer_country", "buyer_nitku")


def upload_deadline(invoice_date: date) -> date:
    """The 20th of the month after the invoice date (PER-11 Art 44)."""
    year, month = (invoice_date.year + 1, 1) if invoice_date.month == 12 else (invoice_date.year, invoice_date.month + 1)
    return date(year, month, 20)


def warnings_of(row: dict[str, Any]) -> list[dict[str, Any]]:
    """`invoice.late_upload`: signed after the upload deadline (or, for a draft, the deadline has passed)."""
    deadline = upload_deadline(row["invoice_date"])
    if row.get("signed_at") is not None:
        when = row["signed_at"].astimezone(service.JAKARTA).date()
        if when > deadline:
            return [{"code": "invoice.late_upload", "deadline": deadline.isoformat(),
                     "message": f"signed on {when.isoformat()}, after the upload deadline {deadline.isoformat()}"}]
        return []
    if row["status"] == "draft" and service.today_jakarta() > deadline:
        return [{"code": "invoice.late_upload", "deadline": deadline.isoformat(),
                 "message": f"the upload deadline {deadline.isoformat()} has passed: signing it now makes it late"}]
    return []


def _period_index(period: str) -> int:
    return int(period[:4]) * 12 + int(period[5:7]) - 1


def _period_of(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def _buyer_npwp(row: dict[str, Any]) -> str | None:
    return row["buyer_tin"] if row["buyer_document"] == "TIN" else None


def _require(principal: Principal, npwp: str, scopes: tuple[str, ...]) -> None:
    if not any(s in principal.scopes for s in scopes):
        raise MissingScope(f"needs one of: {', '.join(scopes)}")
    principal.ensure_taxpayer_access(npwp)


async def _locked(s: AsyncSession, principal: Principal, invoice_id: uuid.UUID) -> dict[str, Any]:
    row = (await s.execute(select(invoice).where(invoice.c.id == invoice_id).with_for_update())).mappings().first()
    if row is None or not service._visible(principal, dict(row)):
        raise InvoiceNotFound()
    return dict(row)


# -- cancellation (seller) -------------------------------------------------------------------------------------------
async def cancel(uow: UnitOfWork, principal: Principal, invoice_id: uuid.UUID, *, reason: str,
                 proof: str | None) -> dict[str, Any]:
    async with uow:
        s = uow.session
        row = await _locked(s, principal, invoice_id)
        if row["seller_npwp"] not in principal.taxpayer_ids:
            raise NotTheSeller("only the seller cancels an invoice")
        _require(principal, row["seller_npwp"], ("invoice:sign",))
        if not reason.strip():
            raise LifecycleInvalid("cancellation.reason_required")
        if row["status"] == "cancelled":
            raise LifecycleRefused("cancellation.already_cancelled")
        if row["status"] == "replaced":
            raise LifecycleRefused("cancellation.replaced", f"cancel the replacement {row['replaced_by']}")
        if row["status"] != "signed":
            raise LifecycleRefused("cancellation.not_signed", f"the invoice is {row['status']}")
        if row["input_tax_action"] == "credit":
            raise LifecycleRefused("cancellation.input_tax_credited")
        pending = (await s.execute(select(invoice.c.id).where(invoice.c.replaces_id == invoice_id,
                                                              invoice.c.status == "draft"))).first()
        if pending is not None:
            raise LifecycleRefused("cancellation.replacement_pending", f"replacement draft {pending[0]}")
        now = datetime.now(UTC)
        await s.execute(update(invoice).where(invoice.c.id == invoice_id).values(
            status="cancelled", cancelled_at=now, cancellation={"reason": reason, "proof": proof,
                                                                "by": service.actor_of(principal)},
            updated_at=func.now()))
        await publish(s, InvoiceCancelled(
            invoice_id=str(invoice_id), nsfp=row["nsfp"], seller_npwp=row["seller_npwp"],
            buyer_npwp=_buyer_npwp(row), invoice_date=row["invoice_date"], period=row["period"],
            dpp=str(row["dpp"]), ppn=str(row["ppn"]), ppnbm=str(row["ppnbm"]), reason=reason, cancelled_at=now),
            key=row["seller_npwp"], subject=str(invoice_id), aggregate_type="invoice", sequence=0)
        await uow.commit()
    return await service.get_invoice(uow, principal, invoice_id)


# -- replacement (seller) --------------------------------------------------------------------------------------------
def _current_body(row: dict[str, Any]) -> dict[str, Any]:
    """The invoice as an API body (what a replacement starts from)."""
    return {
        "seller_npwp": row["seller_npwp"], "invoice_date": row["invoice_date"].isoformat(), "trx_code": row["trx_code"],
        "add_info": row["add_info"], "facility_stamp": row["facility_stamp"], "custom_doc": row["custom_doc"],
        "custom_doc_month_year": row["custom_doc_month_year"], "reference": row["ref_desc"],
        "seller_nitku": row["seller_nitku"],
        "dpp_nilai_lain": any(line["other_tax_base"] != line["tax_base"] for line in row["lines"]),
        "buyer": {"document": row["buyer_document"], "tin": row["buyer_tin"],
                  "document_number": row["buyer_document_number"], "country": row["buyer_country"],
                  "name": row["buyer_name"], "address": row["buyer_address"], "email": row["buyer_email"],
                  "nitku": row["buyer_nitku"]},
        "lines": [{"opt": line["opt"], "code": line["code"], "name": line["name"], "unit": line["unit"],
                   "price": str(line["price"]), "qty": str(line["qty"]), "discount": str(line["discount"]),
                   "stlg_rate": str(line["stlg_rate"])} for line in row["lines"]],
    }


def check_buyer_body(original: dict[str, Any], buyer: dict[str, Any] | None) -> None:
    """Before validation: a change of the buyer's identity fields in the request is refused as such."""
    changed = [f"buyer.{k}" for k in ("document", "tin", "document_number", "country", "nitku")
               if buyer and buyer.get(k) is not None and str(buyer[k]) != str(original[f"buyer_{k}"] or "")]
    if changed:
        raise LifecycleInvalid("replacement.buyer_identity_changed",
                               f"changed: {', '.join(changed)}; cancel the invoice and issue a new one")


def check_buyer_identity(original: dict[str, Any], data: dict[str, Any]) -> None:
    changed = [k for k in BUYER_IDENTITY if (original[k] or None) != (data[k] or None)]
    if changed:
        raise LifecycleInvalid("replacement.buyer_identity_changed",
                               f"changed: {', '.join(changed)}; cancel the invoice and issue a new one")


async def replace(uow: UnitOfWork, principal: Principal, invoice_id: uuid.UUID,
                  changes: dict[str, Any]) -> dict[str, Any]:
    """A replacement draft: the original's content with `changes` (API fields; `buyer` merged), dated today (the
    replacement's date, §3.7). Signed like any draft; signing gives it the original's serial with status code + 1."""
    async with uow:
        s = uow.session
        row = await _locked(s, principal, invoice_id)
        if row["seller_npwp"] not in principal.taxpayer_ids:
            raise NotTheSeller("only the seller replaces an invoice")
        _require(principal, row["seller_npwp"], ("invoice:sign",))
        if row["status"] == "cancelled":
            raise LifecycleRefused("replacement.cancelled")
        if row["status"] == "replaced":
            raise LifecycleRefused("replacement.already_replaced", f"replace {row['replaced_by']} instead")
        if row["status"] != "signed":
            raise LifecycleRefused("replacement.not_signed", f"the invoice is {row['status']}")
        if row["status_code"] >= 99:
            raise LifecycleRefused("replacement.too_many")
        pending = (await s.execute(select(invoice.c.id).where(invoice.c.replaces_id == invoice_id,
                                                              invoice.c.status == "draft"))).first()
        if pending is not None:
            raise LifecycleRefused("replacement.pending", f"replacement draft {pending[0]}")
        lines = (await s.execute(select(invoice_line).where(invoice_line.c.invoice_id == invoice_id)
                                 .order_by(invoice_line.c.line_no))).mappings().all()
        body = _current_body({**row, "lines": [dict(x) for x in lines]})
        for key, value in changes.items():
            if key == "buyer" and isinstance(value, dict):
                body["buyer"].update(value)
            elif key not in ("seller_npwp", "invoice_date"):
                body[key] = value
        body["invoice_date"] = service.today_jakarta().isoformat()
        check_buyer_body(row, changes.get("buyer"))
        data = await service._validated(s, row["seller_npwp"], body, allowed_reference=row["ref_desc"])
        check_buyer_identity(row, data)
        new_id = uuid.uuid4()
        await s.execute(insert(invoice).values(
            **service.invoice_row(data, invoice_id=new_id, created_by=service.actor_of(principal)),
            replaces_id=invoice_id, status_code=row["status_code"] + 1))
        await s.execute(insert(invoice_line), service.line_rows(new_id, data["lines"]))
        await uow.commit()
    return await service.get_invoice(uow, principal, new_id)


# -- returns (buyer) -------------------------------------------------------------------------------------------------
def _q(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _whole(value: Decimal) -> Decimal:
    return value.quantize(Decimal(1), rounding=ROUND_HALF_UP)


async def issue_return(uow: UnitOfWork, principal: Principal, invoice_id: uuid.UUID, *, number: str | None,
                       return_date: date | None, lines: list[dict[str, Any]]) -> dict[str, Any]:
    async with uow:
        s = uow.session
        row = await _locked(s, principal, invoice_id)
        buyer = _buyer_npwp(row)
        if buyer is None or buyer not in principal.taxpayer_ids:
            raise NotTheBuyer("only the buyer (with an NPWP) issues a Nota Retur")
        _require(principal, buyer, ("invoice:sign",))
        if row["status"] != "signed":
            raise LifecycleRefused("return.invoice_not_signed", f"the invoice is {row['status']}")
        when = return_date or service.today_jakarta()
        if when < row["invoice_date"]:
            raise LifecycleInvalid("return.date_before_invoice")
        if when > service.today_jakarta():
            raise LifecycleInvalid("return.date_in_future")
        if not lines:
            raise LifecycleInvalid("return.empty")
        invoiced = {r["line_no"]: dict(r) for r in (await s.execute(select(invoice_line).where(
            invoice_line.c.invoice_id == invoice_id))).mappings()}
        returned = {r.line_no: r for r in (await s.execute(
            select(invoice_return_line.c.line_no, func.sum(invoice_return_line.c.qty).label("qty"),
                   func.sum(invoice_return_line.c.tax_base).label("tax_base"),
                   func.sum(invoice_return_line.c.other_tax_base).label("other_tax_base"),
                   func.sum(invoice_return_line.c.vat).label("vat"), func.sum(invoice_return_line.c.stlg).label("stlg"))
            .join(invoice_return, invoice_return.c.id == invoice_return_line.c.return_id)
            .where(invoice_return.c.invoice_id == invoice_id).group_by(invoice_return_line.c.line_no)))}
        seen: set[int] = set()
        out = []
        for i, item in enumerate(lines):
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
            for field in ("tax_base", "other_tax_base", "vat", "stlg"):
                if done + qty == line["qty"]:  # the last return takes the remainder: the sum is exactly the line
                    amounts[field] = line[field] - (getattr(before, field) if before else Decimal(0))
                else:
                    amounts[field] = _q(line[field] * qty / line["qty"])
            out.append({"line_no": no, "qty": qty, **amounts})
        return_id = uuid.uuid4()
        totals = {"dpp": _whole(sum((x["tax_base"] for x in out), Decimal(0))),
                  "dpp_other": _whole(sum((x["other_tax_base"] for x in out), Decimal(0))),
                  "ppn": _whole(sum((x["vat"] for x in out), Decimal(0))),
                  "ppnbm": _whole(sum((x["stlg"] for x in out), Decimal(0)))}
        await s.execute(insert(invoice_return).values(
            id=return_id, invoice_id=invoice_id, number=number, seller_npwp=row["seller_npwp"], buyer_npwp=buyer,
            return_date=when, period=_period_of(when), created_by=service.actor_of(principal), **totals))
        await s.execute(insert(invoice_return_line), [{"return_id": return_id, **x} for x in out])
        await publish(s, ReturnIssued(
            return_id=str(return_id), number=number, invoice_id=str(invoice_id), nsfp=row["nsfp"],
            seller_npwp=row["seller_npwp"], buyer_npwp=buyer, return_date=when, period=_period_of(when),
            **{k: str(v) for k, v in totals.items()}), key=buyer, subject=str(invoice_id), aggregate_type="invoice", sequence=0)
        await uow.commit()
    return {"id": return_id, "invoice_id": invoice_id, "number": number, "return_date": when,
            "period": _period_of(when), **totals, "lines": out}


async def list_returns(uow: UnitOfWork, principal: Principal, invoice_id: uuid.UUID) -> list[dict[str, Any]]:
    await service.get_invoice(uow, principal, invoice_id)  # visibility and scope
    async with uow:
        s = uow.session
        heads = [dict(r) for r in (await s.execute(select(invoice_return).where(
            invoice_return.c.invoice_id == invoice_id).order_by(invoice_return.c.created_at))).mappings()]
        for head in heads:
            head["lines"] = [dict(r) for r in (await s.execute(select(invoice_return_line).where(
                invoice_return_line.c.return_id == head["id"]).order_by(invoice_return_line.c.line_no))).mappings()]
    return heads


# -- input tax (buyer) -----------------------------------------------------------------------------------------------
async def decide_input_tax(uow: UnitOfWork, principal: Principal, invoice_id: uuid.UUID, *, action: str,
                           period: str) -> dict[str, Any]:
    async with uow:
        s = uow.session
        row = await _locked(s, principal, invoice_id)
        buyer = _buyer_npwp(row)
        if buyer is None or buyer not in principal.taxpayer_ids:
            raise NotTheBuyer("only the buyer (with an NPWP) credits or rejects input tax")
        _require(principal, buyer, ("invoice:sign", "invoice:draft"))
        if row["status"] == "cancelled":
            raise LifecycleRefused("input_tax.invoice_cancelled")
        if row["status"] == "replaced":
            raise LifecycleRefused("input_tax.invoice_replaced", f"decide on {row['replaced_by']}")
        if row["status"] != "signed":
            raise LifecycleRefused("input_tax.invoice_not_signed")
        if row["input_tax_action"] is not None:
            raise LifecycleRefused("input_tax.already_decided",
                                   f"{row['input_tax_action']} in {row['input_tax_period']}")
        if action == "credit":
            offset = _period_index(period) - _period_index(row["period"])
            if not 0 <= offset <= 3:
                raise LifecycleInvalid("input_tax.outside_window",
                                       f"invoice period {row['period']}: credit in {row['period']} up to 3 periods "
                                       f"after; asked {period}")
        if _period_index(period) > _period_index(_period_of(service.today_jakarta())):
            raise LifecycleInvalid("input_tax.period_in_future")
        now = datetime.now(UTC)
        await s.execute(update(invoice).where(invoice.c.id == invoice_id).values(
            input_tax_action=action, input_tax_period=period, input_tax_at=now, updated_at=func.now()))
        await publish(s, InputTaxCredited(
            invoice_id=str(invoice_id), nsfp=row["nsfp"], seller_npwp=row["seller_npwp"], buyer_npwp=buyer,
            action=action, period=period, invoice_period=row["period"], ppn=str(row["ppn"]),
            ppnbm=str(row["ppnbm"]), decided_at=now), key=buyer, subject=str(invoice_id), aggregate_type="invoice", sequence=0)
        await uow.commit()
    return await service.get_invoice(uow, principal, invoice_id)
