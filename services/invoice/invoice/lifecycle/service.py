"""Lifecycle of a signed invoice (tax-rules §3.6-3.9): cancellation and replacement by the seller, Nota Retur and
the input-tax decision by the buyer. Each action is one transaction that locks the invoice row (so concurrent actions
on one invoice are ordered), gives it a new version and publishes its event with that version as its sequence."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from contracts.invoice import InputTaxCredited, InvoiceCancelled, ReturnIssued
from invoice.auth import INPUT_TAX_SCOPES, SIGN_SCOPES, authorize, visible
from invoice.clock import period_of, today_jakarta
from invoice.drafts.repository import InvoiceRepository
from invoice.drafts.schemas import InvoiceRead
from invoice.drafts.service import checked, get_invoice
from invoice.drafts.vocabulary import body_of, invoice_row, line_rows, merged
from invoice.errors import InvoiceNotFound
from invoice.lifecycle.errors import LifecycleInvalid, LifecycleRefused, NotTheBuyer, NotTheSeller
from invoice.lifecycle.repository import LifecycleRepository
from invoice.lifecycle.rules import (
    buyer_npwp,
    check_buyer_body,
    check_buyer_identity,
    check_input_tax_period,
    check_return_date,
    return_lines,
    return_totals,
)
from invoice.lifecycle.schemas import ReplacementCreate, ReturnRead
from kit.auth import Principal
from kit.db import UnitOfWork
from kit.outbox import publish

AGGREGATE = "invoice"


async def _locked(repo: LifecycleRepository, principal: Principal, invoice_id: uuid.UUID) -> dict[str, Any]:
    row = await repo.lock(invoice_id)
    if row is None or not visible(principal, row):
        raise InvoiceNotFound()
    return row


async def _read(uow: UnitOfWork, principal: Principal, invoice_id: uuid.UUID) -> InvoiceRead:
    """The invoice as it is now, in the use case's transaction."""
    row = await InvoiceRepository(uow.session).get(invoice_id)
    assert row is not None and visible(principal, row)
    return InvoiceRead.of(row)


# -- cancellation (seller) ------------------------------------------------------------------------------------------
async def cancel(uow: UnitOfWork, principal: Principal, invoice_id: uuid.UUID, *, reason: str,
                 proof: str | None) -> InvoiceRead:
    async with uow:
        repo = LifecycleRepository(uow.session)
        row = await _locked(repo, principal, invoice_id)
        if row["seller_npwp"] not in principal.taxpayer_ids:
            raise NotTheSeller("only the seller cancels an invoice")
        authorize(principal, row["seller_npwp"], SIGN_SCOPES)
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
        pending = await repo.pending_replacement(invoice_id)
        if pending is not None:
            raise LifecycleRefused("cancellation.replacement_pending", f"replacement draft {pending}")
        now = datetime.now(UTC)
        version = await repo.cancel(invoice_id, at=now, cancellation={"reason": reason, "proof": proof,
                                                                      "by": principal.acting_person})
        await publish(uow.session, InvoiceCancelled(
            invoice_id=str(invoice_id), nsfp=row["nsfp"], seller_npwp=row["seller_npwp"],
            buyer_npwp=buyer_npwp(row), invoice_date=row["invoice_date"], period=row["period"],
            dpp=str(row["dpp"]), ppn=str(row["ppn"]), ppnbm=str(row["ppnbm"]), reason=reason, cancelled_at=now),
            key=row["seller_npwp"], subject=str(invoice_id), aggregate_type=AGGREGATE, sequence=version)
        result = await _read(uow, principal, invoice_id)
        await uow.commit()
    return result


# -- replacement (seller) -------------------------------------------------------------------------------------------
async def replace(uow: UnitOfWork, principal: Principal, invoice_id: uuid.UUID,
                  body: ReplacementCreate) -> InvoiceRead:
    """A replacement draft: the original's content with the fields sent in `body` (`buyer` merged), dated today (the
    replacement's date, §3.7). Signed like any draft; signing gives it the original's serial with status code + 1."""
    changes = body.model_dump(mode="json", include=body.model_fields_set)  # only what was sent (lines as sent)
    if body.buyer is not None:
        changes["buyer"] = body.buyer.model_dump(mode="json", exclude_unset=True)  # merged field by field
    async with uow:
        repo = LifecycleRepository(uow.session)
        row = await _locked(repo, principal, invoice_id)
        if row["seller_npwp"] not in principal.taxpayer_ids:
            raise NotTheSeller("only the seller replaces an invoice")
        authorize(principal, row["seller_npwp"], SIGN_SCOPES)
        if row["status"] == "cancelled":
            raise LifecycleRefused("replacement.cancelled")
        if row["status"] == "replaced":
            raise LifecycleRefused("replacement.already_replaced", f"replace {row['replaced_by']} instead")
        if row["status"] != "signed":
            raise LifecycleRefused("replacement.not_signed", f"the invoice is {row['status']}")
        if row["status_code"] >= 99:
            raise LifecycleRefused("replacement.too_many")
        pending = await repo.pending_replacement(invoice_id)
        if pending is not None:
            raise LifecycleRefused("replacement.pending", f"replacement draft {pending}")
        invoices = InvoiceRepository(uow.session)
        lines = await invoices.lines(invoice_id)
        current = {**body_of({**row, "lines": lines}), "seller_npwp": row["seller_npwp"],
                   "dpp_nilai_lain": any(line["other_tax_base"] != line["tax_base"] for line in lines)}
        content = merged(current, changes, fixed=("seller_npwp", "invoice_date"))
        content["invoice_date"] = today_jakarta().isoformat()
        check_buyer_body(row, changes.get("buyer"))
        data = await checked(uow.session, row["seller_npwp"], content, allowed_reference=row["ref_desc"])
        check_buyer_identity(row, data)
        new_id = uuid.uuid4()
        await invoices.add({**invoice_row(data, invoice_id=new_id, created_by=principal.acting_person),
                            "replaces_id": invoice_id, "status_code": row["status_code"] + 1},
                           line_rows(new_id, data["lines"]))
        await uow.commit()
    return await get_invoice(uow, principal, new_id)


# -- returns (buyer) ------------------------------------------------------------------------------------------------
async def issue_return(uow: UnitOfWork, principal: Principal, invoice_id: uuid.UUID, *, number: str | None,
                       return_date: date | None, lines: list[dict[str, Any]]) -> ReturnRead:
    async with uow:
        repo = LifecycleRepository(uow.session)
        row = await _locked(repo, principal, invoice_id)
        buyer = buyer_npwp(row)
        if buyer is None or buyer not in principal.taxpayer_ids:
            raise NotTheBuyer("only the buyer (with an NPWP) issues a Nota Retur")
        authorize(principal, buyer, SIGN_SCOPES)
        if row["status"] != "signed":
            raise LifecycleRefused("return.invoice_not_signed", f"the invoice is {row['status']}")
        today = today_jakarta()
        when = return_date or today
        check_return_date(when, row["invoice_date"], today)
        invoiced = {line["line_no"]: line for line in await InvoiceRepository(uow.session).lines(invoice_id)}
        out = return_lines(invoiced, await repo.returned(invoice_id), lines)
        totals = return_totals(out)
        return_id = uuid.uuid4()
        version = await repo.add_return({
            "id": return_id, "invoice_id": invoice_id, "number": number, "seller_npwp": row["seller_npwp"],
            "buyer_npwp": buyer, "return_date": when, "period": period_of(when),
            "created_by": principal.acting_person, **totals}, out)
        await publish(uow.session, ReturnIssued(
            return_id=str(return_id), number=number, invoice_id=str(invoice_id), nsfp=row["nsfp"],
            seller_npwp=row["seller_npwp"], buyer_npwp=buyer, return_date=when, period=period_of(when),
            **{k: str(v) for k, v in totals.items()}),
            key=buyer, subject=str(invoice_id), aggregate_type=AGGREGATE, sequence=version)
        await uow.commit()
    return ReturnRead.model_validate({"id": return_id, "invoice_id": invoice_id, "number": number,
                                      "return_date": when, "period": period_of(when), **totals, "lines": out})


async def list_returns(uow: UnitOfWork, principal: Principal, invoice_id: uuid.UUID) -> list[ReturnRead]:
    await get_invoice(uow, principal, invoice_id)  # visibility and scope
    async with uow:
        heads = await LifecycleRepository(uow.session).returns(invoice_id)
    return [ReturnRead.model_validate(h) for h in heads]


# -- input tax (buyer) ----------------------------------------------------------------------------------------------
async def decide_input_tax(uow: UnitOfWork, principal: Principal, invoice_id: uuid.UUID, *, action: str,
                           period: str) -> InvoiceRead:
    async with uow:
        repo = LifecycleRepository(uow.session)
        row = await _locked(repo, principal, invoice_id)
        buyer = buyer_npwp(row)
        if buyer is None or buyer not in principal.taxpayer_ids:
            raise NotTheBuyer("only the buyer (with an NPWP) credits or rejects input tax")
        authorize(principal, buyer, INPUT_TAX_SCOPES)
        if row["status"] == "cancelled":
            raise LifecycleRefused("input_tax.invoice_cancelled")
        if row["status"] == "replaced":
            raise LifecycleRefused("input_tax.invoice_replaced", f"decide on {row['replaced_by']}")
        if row["status"] != "signed":
            raise LifecycleRefused("input_tax.invoice_not_signed")
        if row["input_tax_action"] is not None:
            raise LifecycleRefused("input_tax.already_decided",
                                   f"{row['input_tax_action']} in {row['input_tax_period']}")
        check_input_tax_period(action, period, row["period"], period_of(today_jakarta()))
        now = datetime.now(UTC)
        version = await repo.decide_input_tax(invoice_id, action=action, period=period, at=now)
        await publish(uow.session, InputTaxCredited(
            invoice_id=str(invoice_id), nsfp=row["nsfp"], seller_npwp=row["seller_npwp"], buyer_npwp=buyer,
            action=action, period=period, invoice_period=row["period"], ppn=str(row["ppn"]),
            ppnbm=str(row["ppnbm"]), decided_at=now),
            key=buyer, subject=str(invoice_id), aggregate_type=AGGREGATE, sequence=version)
        result = await _read(uow, principal, invoice_id)
        await uow.commit()
    return result
