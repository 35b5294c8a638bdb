"""Export of the output view as a Coretax `TaxInvoiceBulk` file that the upload accepts again unchanged (same
element names and vocabulary as `coretax_xml`/`validation` read: numbers without trailing zeros, `-` as the document
number of a TIN buyer). Streamed: invoices are read in keyset pages of 1,000 with their lines."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from invoice.models import invoice, invoice_line

PAGE = 1000
DEFAULT_STATUSES = ("draft", "signed")  # the current invoices; cancelled and replaced ones only when asked


def _num(value: Decimal) -> str:
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def _el(name: str, value: Any) -> str:
    if value is None or value == "":
        return f"<{name}/>"
    if isinstance(value, Decimal):
        value = _num(value)
    return f"<{name}>{escape(str(value))}</{name}>"


def invoice_xml(row: dict[str, Any], lines: list[dict[str, Any]]) -> str:
    tin_buyer = row["buyer_document"] == "TIN"
    parts = [
        "<TaxInvoice>", _el("TaxInvoiceDate", row["invoice_date"].isoformat()), _el("TaxInvoiceOpt", "Normal"),
        _el("TrxCode", row["trx_code"]), _el("AddInfo", row["add_info"]), _el("CustomDoc", row["custom_doc"]),
        _el("CustomDocMonthYear", row["custom_doc_month_year"]), _el("RefDesc", row["ref_desc"]),
        _el("FacilityStamp", row["facility_stamp"]), _el("SellerIDTKU", row["seller_nitku"]),
        _el("BuyerTin", row["buyer_tin"]), _el("BuyerDocument", row["buyer_document"]),
        _el("BuyerCountry", row["buyer_country"]),
        _el("BuyerDocumentNumber", "-" if tin_buyer else row["buyer_document_number"]),
        _el("BuyerName", row["buyer_name"]), _el("BuyerAdress", row["buyer_address"]),
        _el("BuyerEmail", row["buyer_email"]), _el("BuyerIDTKU", row["buyer_nitku"]), "<ListOfGoodService>"]
    for line in lines:
        parts += ["<GoodService>", _el("Opt", line["opt"]), _el("Code", line["code"]), _el("Name", line["name"]),
                  _el("Unit", line["unit"]), _el("Price", line["price"]), _el("Qty", line["qty"]),
                  _el("TotalDiscount", line["discount"]), _el("TaxBase", line["tax_base"]),
                  _el("OtherTaxBase", line["other_tax_base"]), _el("VATRate", line["vat_rate"]),
                  _el("VAT", line["vat"]), _el("STLGRate", line["stlg_rate"]), _el("STLG", line["stlg"]),
                  "</GoodService>"]
    parts.append("</ListOfGoodService></TaxInvoice>\n")
    return "".join(parts)


async def _page(s: AsyncSession, npwp: str, period: str, statuses: tuple[str, ...], trx: str | None,
                after: tuple[Any, uuid.UUID] | None) -> tuple[list[dict[str, Any]], dict[uuid.UUID, list[dict[str, Any]]]]:
    stmt = select(invoice).where(invoice.c.seller_npwp == npwp, invoice.c.period == period,
                                 invoice.c.status.in_(statuses))
    if trx:
        stmt = stmt.where(invoice.c.trx_code == trx)
    if after is not None:
        stmt = stmt.where(or_(invoice.c.created_at > after[0],
                              and_(invoice.c.created_at == after[0], invoice.c.id > after[1])))
    rows = [dict(r) for r in (await s.execute(stmt.order_by(invoice.c.created_at, invoice.c.id).limit(PAGE)))
            .mappings()]
    lines: dict[uuid.UUID, list[dict[str, Any]]] = {}
    if rows:
        for line in (await s.execute(select(invoice_line).where(invoice_line.c.invoice_id.in_([r["id"] for r in rows]))
                                     .order_by(invoice_line.c.invoice_id, invoice_line.c.line_no))).mappings():
            lines.setdefault(line["invoice_id"], []).append(dict(line))
    return rows, lines


async def stream(sessions: async_sessionmaker[AsyncSession], *, npwp: str, period: str,
                 statuses: tuple[str, ...] = DEFAULT_STATUSES, trx: str | None = None) -> AsyncIterator[bytes]:
    yield (f'<?xml version="1.0" encoding="utf-8"?>\n<TaxInvoiceBulk xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
           f'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n<TIN>{npwp}</TIN>\n<ListOfTaxInvoice>\n').encode()
    after = None
    while True:
        async with sessions() as s:
            rows, lines = await _page(s, npwp, period, statuses, trx, after)
        if not rows:
            break
        yield "".join(invoice_xml(r, lines.get(r["id"], [])) for r in rows).encode()
        after = (rows[-1]["created_at"], rows[-1]["id"])
        if len(rows) < PAGE:
            break
    yield b"</ListOfTaxInvoice>\n</TaxInvoiceBulk>\n"
