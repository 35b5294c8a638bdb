"""Invoice use cases: drafts by API, reads and lists. Each use case is one transaction, committed here."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Text, and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from invoice import ppn
from invoice.errors import InvoiceInvalid, InvoiceNotDraft, InvoiceNotFound, TaxpayerNotChosen
from invoice.models import invoice, invoice_line, pkp_status_change, taxpayer
from invoice.validation import Context, validate
from kit.auth import MissingScope, Principal
from kit.db import UnitOfWork
from kit.pagination import CursorParams, encode_cursor

JAKARTA = ZoneInfo("Asia/Jakarta")
READ_SCOPES = ("invoice:read", "invoice:draft", "invoice:sign")
DRAFT_SCOPES = ("invoice:draft", "invoice:sign")


def today_jakarta() -> date:
    return datetime.now(JAKARTA).date()


def authorize(principal: Principal, npwp: str, scopes: tuple[str, ...]) -> None:
    """Any of `scopes` (a drafter or a signer may draft), for this taxpayer (a person through their role, or a PJAP
    through its delegation: both arrive as a token whose `tid` holds the NPWP)."""
    if not any(s in principal.scopes for s in scopes):
        raise MissingScope(f"needs one of: {', '.join(scopes)}")
    principal.ensure_taxpayer_access(npwp)


def acting_taxpayer(principal: Principal, npwp: str | None) -> str:
    if npwp:
        return npwp
    if len(principal.taxpayer_ids) == 1:
        return next(iter(principal.taxpayer_ids))
    raise TaxpayerNotChosen("the token acts for several taxpayers (or none): pass npwp")


def actor_of(principal: Principal) -> str:
    actor = principal.actor or {}
    return str(actor.get("sub") or principal.subject)


class PKPStatus:
    """The seller's PKP status on any date, from the replica (None: the seller is not in the registry)."""

    def __init__(self, known: bool, changes: list[tuple[date, bool]]) -> None:
        self.known, self.changes = known, changes

    def __call__(self, on: date) -> bool | None:
        status: bool | None = False if self.known else None
        for effective, is_pkp in self.changes:
            if effective <= on:
                status = is_pkp
        return status


async def pkp_status(session: AsyncSession, npwp: str) -> PKPStatus:
    known = (await session.execute(select(func.count()).select_from(taxpayer).where(taxpayer.c.npwp == npwp))
             ).scalar_one() > 0
    rows = (await session.execute(select(pkp_status_change.c.effective_date, pkp_status_change.c.is_pkp)
                                  .where(pkp_status_change.c.npwp == npwp)
                                  .order_by(pkp_status_change.c.effective_date, pkp_status_change.c.source_sequence,
                                            pkp_status_change.c.id))).all()
    return PKPStatus(known or bool(rows), [(d, bool(p)) for d, p in rows])


async def taken_references(session: AsyncSession, npwp: str, refs: list[str],
                           exclude: uuid.UUID | None = None) -> set[str]:
    if not refs:
        return set()
    # one array parameter: an IN list of 100,000 references would exceed PostgreSQL's 32,767 parameters
    wanted = bindparam("refs", list(refs), type_=ARRAY(Text()))
    stmt = select(invoice.c.ref_desc).where(invoice.c.seller_npwp == npwp, invoice.c.ref_desc == func.any(wanted))
    if exclude is not None:
        stmt = stmt.where(invoice.c.id != exclude)
    return set((await session.execute(stmt)).scalars())


# -- API drafts ------------------------------------------------------------------------------------------------
_HEADER_FIELDS = {"invoice_date": "TaxInvoiceDate", "trx_code": "TrxCode", "add_info": "AddInfo",
                  "facility_stamp": "FacilityStamp", "custom_doc": "CustomDoc",
                  "custom_doc_month_year": "CustomDocMonthYear", "reference": "RefDesc", "seller_nitku": "SellerIDTKU"}
_BUYER_FIELDS = {"document": "BuyerDocument", "tin": "BuyerTin", "document_number": "BuyerDocumentNumber",
                 "country": "BuyerCountry", "name": "BuyerName", "address": "BuyerAdress", "email": "BuyerEmail",
                 "nitku": "BuyerIDTKU"}
_LINE_FIELDS = {"opt": "Opt", "code": "Code", "name": "Name", "unit": "Unit", "price": "Price", "qty": "Qty",
                "discount": "TotalDiscount", "stlg_rate": "STLGRate", "tax_base": "TaxBase",
                "other_tax_base": "OtherTaxBase", "vat_rate": "VATRate", "vat": "VAT", "stlg": "STLG"}
_JSON_OF = {**{v: k for k, v in _HEADER_FIELDS.items()}, **{v: f"buyer.{k}" for k, v in _BUYER_FIELDS.items()}}
_JSON_LINE_OF = {v: k for k, v in _LINE_FIELDS.items()}


def _s(value: Any) -> str | None:
    return None if value is None else str(value)


def to_xml_vocabulary(body: dict[str, Any]) -> tuple[dict[str, str | None], list[dict[str, str | None]]]:
    """The API's JSON as the XML's elements, with the amounts computed under PMK-131 (`invoice.ppn`)."""
    header = {xml: _s(body.get(k)) for k, xml in _HEADER_FIELDS.items()}
    if not header["SellerIDTKU"]:
        header["SellerIDTKU"] = body["seller_npwp"] + "000000"
    buyer = body.get("buyer") or {}
    header.update({xml: _s(buyer.get(k)) for k, xml in _BUYER_FIELDS.items()})
    trx = str(body.get("trx_code") or "")
    lines = []
    for line in body.get("lines") or []:
        amounts = ppn.compute_line(Decimal(line["price"]), Decimal(line["qty"]), Decimal(line.get("discount") or 0),
                                   trx_code=trx, stlg_rate=Decimal(line.get("stlg_rate") or 0),
                                   nilai_lain=body.get("dpp_nilai_lain"))
        raw = {xml: _s(line.get(k)) for k, xml in _LINE_FIELDS.items() if k in line}
        raw.update(TaxBase=str(amounts.tax_base), OtherTaxBase=str(amounts.other_tax_base),
                   VATRate=str(amounts.vat_rate), VAT=str(amounts.vat), STLGRate=str(amounts.stlg_rate),
                   STLG=str(amounts.stlg))
        lines.append(raw)
    return header, lines


def api_context(npwp: str, pkp: PKPStatus, taken: set[str]) -> Context:
    return Context(seller_npwp=npwp, today=today_jakarta(), is_pkp=pkp, taken_references=taken,
                   path=lambda name: _JSON_OF.get(name, name),
                   line_path=lambda i, name: f"lines[{i}].{_JSON_LINE_OF.get(name, name)}")


def invoice_row(data: dict[str, Any], *, invoice_id: uuid.UUID, created_by: str) -> dict[str, Any]:
    row = {k: v for k, v in data.items() if k != "lines"}
    row.update(id=invoice_id, status="draft", created_by=created_by)
    return row


def line_rows(invoice_id: uuid.UUID, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**line, "invoice_id": invoice_id} for line in lines]


async def _validated(session: AsyncSession, npwp: str, body: dict[str, Any],
                     exclude: uuid.UUID | None = None, allowed_reference: str | None = None) -> dict[str, Any]:
    """`allowed_reference`: a replacement keeps its original's reference."""
    header, lines = to_xml_vocabulary(body)
    ref = (header.get("RefDesc") or "").strip()
    taken = await taken_references(session, npwp, [ref] if ref else [], exclude)
    taken.discard(allowed_reference or "")
    ctx = api_context(npwp, await pkp_status(session, npwp), taken)
    outcome = validate(header, lines, ctx)
    if outcome.invoice is None:
        raise InvoiceInvalid(f"{len(outcome.errors)} rule(s) broken", errors=outcome.errors,
                             warnings=outcome.warnings)
    return outcome.invoice


async def create_draft(uow: UnitOfWork, principal: Principal, body: dict[str, Any]) -> dict[str, Any]:
    npwp = body["seller_npwp"]
    authorize(principal, npwp, DRAFT_SCOPES)
    async with uow:
        s = uow.session
        data = await _validated(s, npwp, body)
        invoice_id = uuid.uuid4()
        await s.execute(insert(invoice).values(**invoice_row(data, invoice_id=invoice_id,
                                                             created_by=actor_of(principal))))
        await s.execute(insert(invoice_line), line_rows(invoice_id, data["lines"]))
        await uow.commit()
    return await get_invoice(uow, principal, invoice_id)


async def _load(session: AsyncSession, invoice_id: uuid.UUID, *, for_update: bool = False) -> dict[str, Any] | None:
    stmt = select(invoice).where(invoice.c.id == invoice_id)
    if for_update:
        stmt = stmt.with_for_update()
    row = (await session.execute(stmt)).mappings().first()
    if row is None:
        return None
    lines = (await session.execute(select(invoice_line).where(invoice_line.c.invoice_id == invoice_id)
                                   .order_by(invoice_line.c.line_no))).mappings().all()
    return {**row, "lines": [dict(line) for line in lines]}


def _visible(principal: Principal, row: dict[str, Any]) -> bool:
    """The seller's people see their invoices; the buyer's see them once signed."""
    if row["seller_npwp"] in principal.taxpayer_ids:
        return True
    return row["status"] != "draft" and row["buyer_tin"] in principal.taxpayer_ids


async def get_invoice(uow: UnitOfWork, principal: Principal, invoice_id: uuid.UUID) -> dict[str, Any]:
    if not any(s in principal.scopes for s in READ_SCOPES):
        raise MissingScope("needs invoice:read")
    async with uow:
        row = await _load(uow.session, invoice_id)
    if row is None or not _visible(principal, row):
        raise InvoiceNotFound()
    return row


async def update_draft(uow: UnitOfWork, principal: Principal, invoice_id: uuid.UUID,
                       body: dict[str, Any]) -> dict[str, Any]:
    async with uow:
        s = uow.session
        row = await _load(s, invoice_id, for_update=True)
        if row is None or row["seller_npwp"] not in principal.taxpayer_ids:
            raise InvoiceNotFound()
        authorize(principal, row["seller_npwp"], DRAFT_SCOPES)
        if row["status"] != "draft":
            raise InvoiceNotDraft(f"the invoice is {row['status']}")
        original = None
        if row["replaces_id"] is not None:  # a replacement draft: its date and buyer identity stay (§3.7)
            original = (await s.execute(select(invoice).where(invoice.c.id == row["replaces_id"]))).mappings().one()
            body = {**body, "invoice_date": row["invoice_date"].isoformat()}
            from invoice.lifecycle import check_buyer_body
            check_buyer_body(dict(original), body.get("buyer"))
        data = await _validated(s, row["seller_npwp"], {**body, "seller_npwp": row["seller_npwp"]},
                                exclude=invoice_id, allowed_reference=original["ref_desc"] if original else None)
        if original is not None:
            from invoice.lifecycle import check_buyer_identity
            check_buyer_identity(dict(original), data)
        values = {k: v for k, v in data.items() if k not in ("lines", "seller_npwp")}
        await s.execute(update(invoice).where(invoice.c.id == invoice_id)
                        .values(**values, version=invoice.c.version + 1, updated_at=func.now()))
        await s.execute(delete(invoice_line).where(invoice_line.c.invoice_id == invoice_id))
        await s.execute(insert(invoice_line), line_rows(invoice_id, data["lines"]))
        await uow.commit()
    return await get_invoice(uow, principal, invoice_id)


async def delete_draft(uow: UnitOfWork, principal: Principal, invoice_id: uuid.UUID) -> None:
    async with uow:
        s = uow.session
        row = (await s.execute(select(invoice.c.seller_npwp, invoice.c.status).where(invoice.c.id == invoice_id)
                               .with_for_update())).first()
        if row is None or row.seller_npwp not in principal.taxpayer_ids:
            raise InvoiceNotFound()
        authorize(principal, row.seller_npwp, DRAFT_SCOPES)
        if row.status != "draft":
            raise InvoiceNotDraft(f"the invoice is {row.status}; signed invoices are cancelled, not deleted")
        await s.execute(delete(invoice).where(invoice.c.id == invoice_id))
        await uow.commit()


async def list_invoices(uow: UnitOfWork, principal: Principal, *, npwp: str, view: str, page: CursorParams,
                        period: str | None, status: str | None, counterparty: str | None,
                        transaction_code: str | None) -> tuple[list[dict[str, Any]], str | None]:
    authorize(principal, npwp, READ_SCOPES)
    if view == "output":
        stmt = select(invoice).where(invoice.c.seller_npwp == npwp)
        if counterparty:
            stmt = stmt.where(invoice.c.buyer_tin == counterparty)
        if status:
            stmt = stmt.where(invoice.c.status == status)
    else:  # input: what sellers issued to this taxpayer, once signed
        stmt = select(invoice).where(invoice.c.buyer_tin == npwp, invoice.c.status == "signed")
        if counterparty:
            stmt = stmt.where(invoice.c.seller_npwp == counterparty)
        if status and status != "signed":
            stmt = stmt.where(False)  # type: ignore[arg-type]
    if period:
        stmt = stmt.where(invoice.c.period == period)
    if transaction_code:
        stmt = stmt.where(invoice.c.trx_code == transaction_code)
    if page.after is not None:
        a = page.after
        stmt = stmt.where(or_(invoice.c.created_at < a.created_at,
                              and_(invoice.c.created_at == a.created_at, invoice.c.id < a.id)))
    stmt = stmt.order_by(invoice.c.created_at.desc(), invoice.c.id.desc()).limit(page.limit + 1)
    async with uow:
        rows = [dict(r) for r in (await uow.session.execute(stmt)).mappings()]
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    cursor = encode_cursor(rows[-1]["created_at"], rows[-1]["id"]) if more and rows else None
    return rows, cursor
