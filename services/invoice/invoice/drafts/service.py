"""Draft use cases (create, read, change, delete, list) and the validation every API draft goes through. Each use case
is one transaction, committed here."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from invoice.auth import DRAFT_SCOPES, READ_SCOPES, authorize, authorize_read, visible
from invoice.codes import CODES
from invoice.drafts.repository import InvoiceRepository
from invoice.drafts.schemas import InvoiceBody, InvoiceCreate, InvoicePage, InvoiceRead
from invoice.drafts.vocabulary import api_context, body_of, invoice_row, line_rows, merged, to_xml_vocabulary
from invoice.errors import InvoiceInvalid, InvoiceNotDraft, InvoiceNotFound
from invoice.lifecycle.rules import check_buyer_body, check_buyer_identity
from invoice.taxpayers.repository import TaxpayerRepository
from invoice.validation import validate
from kit.auth import Principal, acting_taxpayer
from kit.db import UnitOfWork
from kit.errors import validated
from kit.pagination import CursorParams, encode_cursor


async def checked(session: AsyncSession, npwp: str, body: dict[str, Any], *, exclude: uuid.UUID | None = None,
                  allowed_reference: str | None = None) -> dict[str, Any]:
    """An API body validated for seller `npwp` (its PKP status on the invoice date, its references taken by other
    invoices than `exclude`): the invoice's values and lines, or `InvoiceInvalid` with every rule broken.
    `allowed_reference`: a replacement keeps its original's reference."""
    header, lines = to_xml_vocabulary(body)
    ref = (header.get("RefDesc") or "").strip()
    taken = await InvoiceRepository(session).taken_references(npwp, [ref] if ref else [], exclude)
    taken.discard(allowed_reference or "")
    ctx = api_context(npwp, await TaxpayerRepository(session).pkp_status(npwp), taken)
    outcome = validate(header, lines, ctx)
    if outcome.invoice is None:
        raise InvoiceInvalid(f"{len(outcome.errors)} rule(s) broken", errors=outcome.errors,
                             warnings=outcome.warnings)
    return outcome.invoice


async def create_draft(uow: UnitOfWork, principal: Principal, body: InvoiceCreate) -> InvoiceRead:
    data = body.model_dump(mode="json")
    npwp = data["seller_npwp"]
    authorize(principal, npwp, DRAFT_SCOPES)
    async with uow:
        repo = InvoiceRepository(uow.session)
        values = await checked(uow.session, npwp, data)
        invoice_id = uuid.uuid4()
        await repo.add(invoice_row(values, invoice_id=invoice_id, created_by=principal.acting_person),
                       line_rows(invoice_id, values["lines"]))
        await uow.commit()
    return await get_invoice(uow, principal, invoice_id)


async def get_invoice(uow: UnitOfWork, principal: Principal, invoice_id: uuid.UUID) -> InvoiceRead:
    authorize_read(principal)
    async with uow:
        row = await InvoiceRepository(uow.session).get(invoice_id)
    if row is None or not visible(principal, row):
        raise InvoiceNotFound()
    return InvoiceRead.of(row)


async def update_draft(uow: UnitOfWork, principal: Principal, invoice_id: uuid.UUID,
                       body: InvoiceBody) -> InvoiceRead:
    """The draft's whole content replaced (PUT)."""
    async with uow:
        await _change(uow.session, principal, invoice_id, body.model_dump(mode="json"))
        await uow.commit()
    return await get_invoice(uow, principal, invoice_id)


async def patch_draft(uow: UnitOfWork, principal: Principal, invoice_id: uuid.UUID,
                      patch: dict[str, Any]) -> InvoiceRead:
    """Some fields of the draft changed (PATCH): the fields sent replace the draft's, `buyer` field by field."""
    authorize_read(principal)
    async with uow:
        repo = InvoiceRepository(uow.session)
        row = await repo.get(invoice_id, for_update=True)
        if row is None or not visible(principal, row):
            raise InvoiceNotFound()
        body = validated(InvoiceBody, merged(body_of(row), patch))  # a 422 like the POST's, not a 500
        await _change(uow.session, principal, invoice_id, body.model_dump(mode="json"), row)
        await uow.commit()
    return await get_invoice(uow, principal, invoice_id)


async def _change(session: AsyncSession, principal: Principal, invoice_id: uuid.UUID, body: dict[str, Any],
                  row: dict[str, Any] | None = None) -> None:
    repo = InvoiceRepository(session)
    row = row or await repo.get_head(invoice_id, for_update=True)
    if row is None or row["seller_npwp"] not in principal.taxpayer_ids:
        raise InvoiceNotFound()
    authorize(principal, row["seller_npwp"], DRAFT_SCOPES)
    if row["status"] != "draft":
        raise InvoiceNotDraft(f"the invoice is {row['status']}")
    original = None
    if row["replaces_id"] is not None:  # a replacement draft: its date and buyer identity stay (§3.7)
        original = await repo.get_head(row["replaces_id"])
        assert original is not None
        body = {**body, "invoice_date": row["invoice_date"].isoformat()}
        check_buyer_body(original, body.get("buyer"))
    data = await checked(session, row["seller_npwp"], {**body, "seller_npwp": row["seller_npwp"]},
                         exclude=invoice_id, allowed_reference=original["ref_desc"] if original else None)
    if original is not None:
        check_buyer_identity(original, data)
    values = {k: v for k, v in data.items() if k not in ("lines", "seller_npwp")}
    await repo.change(invoice_id, values, line_rows(invoice_id, data["lines"]))


async def delete_draft(uow: UnitOfWork, principal: Principal, invoice_id: uuid.UUID) -> None:
    async with uow:
        repo = InvoiceRepository(uow.session)
        row = await repo.get_head(invoice_id, for_update=True)
        if row is None or row["seller_npwp"] not in principal.taxpayer_ids:
            raise InvoiceNotFound()
        authorize(principal, row["seller_npwp"], DRAFT_SCOPES)
        if row["status"] != "draft":
            raise InvoiceNotDraft(f"the invoice is {row['status']}; signed invoices are cancelled, not deleted")
        await repo.delete(invoice_id)
        await uow.commit()


async def list_invoices(uow: UnitOfWork, principal: Principal, *, npwp: str | None, view: str, page: CursorParams,
                        period: str | None, status: str | None, counterparty: str | None,
                        transaction_code: str | None) -> InvoicePage:
    taxpayer = acting_taxpayer(principal, npwp)
    authorize(principal, taxpayer, READ_SCOPES)
    async with uow:
        rows = await InvoiceRepository(uow.session).page(
            npwp=taxpayer, view=view, page=page, period=period, status=status, counterparty=counterparty,
            transaction_code=transaction_code)
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    cursor = encode_cursor(rows[-1]["created_at"], rows[-1]["id"]) if more and rows else None
    return InvoicePage(items=[InvoiceRead.of(r, with_lines=False) for r in rows], next_cursor=cursor)


def error_codes() -> list[dict[str, Any]]:
    """Every code a rule, a lifecycle action or a refusal answers with, and the legacy ETAX code it replaces."""
    return [{"code": c.code, "message": c.message, "legacy_code": c.legacy} for c in CODES.values()]
