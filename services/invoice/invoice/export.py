"""Export of the output view as a Coretax `TaxInvoiceBulk` file that the upload accepts again unchanged (same
element names and vocabulary as `coretax_xml`/`validation` read: numbers without trailing zeros, `-` as the document
number of a TIN buyer). Pure: the documents slice streams the invoices it reads through it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

PAGE = 1000  # invoices read (with their lines) per round
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


def head(npwp: str) -> bytes:
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<TaxInvoiceBulk xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
            f'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n<TIN>{npwp}</TIN>\n<ListOfTaxInvoice>\n').encode()


TAIL = b"</ListOfTaxInvoice>\n</TaxInvoiceBulk>\n"
