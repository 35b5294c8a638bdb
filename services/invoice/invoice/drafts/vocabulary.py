"""The API's invoice as the Coretax XML's vocabulary (what `validation` reads), and back: pure, no I/O.

An API draft is validated by the same rules as an uploaded file: its JSON is turned into the XML's elements, with
the amounts computed under PMK-131 (`invoice.ppn`), and errors point at JSON paths (`lines[0].unit`)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from invoice import ppn
from invoice.clock import today_jakarta
from invoice.taxpayers.pkp import PKPStatus
from invoice.validation import Context, invoice_date_of

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
    on = invoice_date_of(header["TaxInvoiceDate"])  # PMK-131's luxury rule depends on the date
    lines = []
    for line in body.get("lines") or []:
        amounts = ppn.compute_line(Decimal(line["price"]), Decimal(line["qty"]), Decimal(line.get("discount") or 0),
                                   trx_code=trx, stlg_rate=Decimal(line.get("stlg_rate") or 0),
                                   nilai_lain=body.get("dpp_nilai_lain"), on=on)
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
    """The `invoice` row of a new draft from validated data."""
    row = {k: v for k, v in data.items() if k != "lines"}
    row.update(id=invoice_id, status="draft", created_by=created_by)
    return row


def line_rows(invoice_id: uuid.UUID, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**line, "invoice_id": invoice_id} for line in lines]


def body_of(row: dict[str, Any]) -> dict[str, Any]:
    """A stored invoice (with its `lines`) as an API body (`InvoiceBody`'s fields): what a change starts from."""
    return {
        "invoice_date": row["invoice_date"].isoformat(), "trx_code": row["trx_code"], "add_info": row["add_info"],
        "facility_stamp": row["facility_stamp"], "custom_doc": row["custom_doc"],
        "custom_doc_month_year": row["custom_doc_month_year"], "reference": row["ref_desc"],
        "seller_nitku": row["seller_nitku"],
        "buyer": {"document": row["buyer_document"], "tin": row["buyer_tin"],
                  "document_number": row["buyer_document_number"], "country": row["buyer_country"],
                  "name": row["buyer_name"], "address": row["buyer_address"], "email": row["buyer_email"],
                  "nitku": row["buyer_nitku"]},
        "lines": [{"opt": line["opt"], "code": line["code"], "name": line["name"], "unit": line["unit"],
                   "price": str(line["price"]), "qty": str(line["qty"]), "discount": str(line["discount"]),
                   "stlg_rate": str(line["stlg_rate"])} for line in row["lines"]],
    }


def merged(body: dict[str, Any], changes: dict[str, Any], *, fixed: tuple[str, ...] = ()) -> dict[str, Any]:
    """`body` with `changes` applied: a `buyer` object is merged field by field, any other field replaced; `fixed`
    fields are not changed."""
    out = {**body, "buyer": dict(body.get("buyer") or {})}
    for key, value in changes.items():
        if key == "buyer" and isinstance(value, dict):
            out["buyer"].update(value)
        elif key not in fixed:
            out[key] = value
    return out
