"""Validation of one invoice, the same for API drafts and Coretax XML uploads.

Input is the XML's vocabulary (element name -> text, `None` when the element is absent); the API maps its JSON onto
it. Output: the normalised invoice (typed values, ready to store) or every error found, each with a stable code, its
legacy ETAX code, a message and the path of the element. Deviations of real generators (coretax-xml.md §6b) are
normalised with a warning where the intent is unambiguous, and rejected otherwise; the decisions are in README.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from invoice import ppn, refdata
from invoice.codes import error
from invoice.identifiers import head_office_nitku, nik_problem, nitku_problem, npwp16_problem

ZERO_TIN = "0" * 16
DOC_ALIASES = {"NIK": "National ID", "Other": "Other ID"}
MAX_TEXT = {"RefDesc": 200, "BuyerName": 200, "BuyerAdress": 500, "BuyerEmail": 200, "CustomDoc": 100,
            "BuyerDocumentNumber": 64, "Name": 500}
_DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")
_NPWP_PROBLEM_CODE = {"length": "npwp.invalid_length", "format": "npwp.invalid_format", "checksum": "npwp.checksum",
                      "nik": "npwp.invalid_nik"}


@dataclass
class Context:
    """What validation needs to know beyond the invoice itself."""

    seller_npwp: str  # the taxpayer the caller acts for
    today: date
    is_pkp: Callable[[date], bool | None]  # None: the seller is not in the replica
    taken_references: set[str] = field(default_factory=set)  # RefDesc values of this seller's existing invoices
    path: Callable[[str], str] = lambda name: name
    line_path: Callable[[int, str], str] = lambda i, name: f"GoodService[{i + 1}]/{name}"


@dataclass
class Outcome:
    invoice: dict[str, Any] | None
    errors: list[dict[str, Any]]
    warnings: list[dict[str, Any]]


def _text(value: str | None) -> str:
    return (value or "").strip()


def validate(header: dict[str, str | None], lines: list[dict[str, str | None]], ctx: Context) -> Outcome:
    errors: list[dict[str, Any]] = []
    warnings: list[dict[str, Any]] = []
    p = ctx.path

    def err(code: str, name: str, message: str | None = None) -> None:
        errors.append(error(code, p(name), message))

    def warn(code: str, name: str) -> None:
        warnings.append(error(code, p(name)))

    out: dict[str, Any] = {}
    for name, limit in MAX_TEXT.items():
        if name != "Name" and len(_text(header.get(name))) > limit:
            err("field.too_long", name, f"{name} is longer than {limit} characters")

    # seller
    out["seller_npwp"] = ctx.seller_npwp
    seller_nitku = re.sub(r"\s+", "", _text(header.get("SellerIDTKU")))
    if seller_nitku != _text(header.get("SellerIDTKU")):
        warn("normalised.nitku_space", "SellerIDTKU")
    if not seller_nitku:
        err("field.required", "SellerIDTKU")
    elif len(seller_nitku) == 16 and seller_nitku.isdigit():
        warn("normalised.nitku_16", "SellerIDTKU")
        seller_nitku = head_office_nitku(seller_nitku)
    if seller_nitku:
        if nitku_problem(seller_nitku):
            err("nitku.invalid", "SellerIDTKU")
        elif not seller_nitku.startswith(ctx.seller_npwp):
            err("nitku.not_of_taxpayer", "SellerIDTKU", "SellerIDTKU does not start with the seller's NPWP")
    out["seller_nitku"] = seller_nitku

    # date and period
    raw_date = _text(header.get("TaxInvoiceDate"))
    invoice_date: date | None = None
    if not raw_date:
        err("field.required", "TaxInvoiceDate")
    else:
        try:
            invoice_date = date.fromisoformat(raw_date) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw_date) else None
        except ValueError:
            invoice_date = None
        if invoice_date is None:
            err("date.invalid", "TaxInvoiceDate", f"{raw_date!r} is not a YYYY-MM-DD date")
        elif invoice_date > ctx.today:
            err("date.in_future", "TaxInvoiceDate")
        elif invoice_date < date(2025, 1, 1):
            err("date.before_2025", "TaxInvoiceDate")
        else:
            pkp = ctx.is_pkp(invoice_date)
            if pkp is None:
                err("seller.unknown", "TaxInvoiceDate", f"seller {ctx.seller_npwp} is not in the taxpayer registry")
            elif not pkp:
                err("seller.not_pkp", "TaxInvoiceDate", f"seller {ctx.seller_npwp} is not a PKP on {invoice_date}")
    out["invoice_date"] = invoice_date
    out["period"] = invoice_date.strftime("%Y-%m") if invoice_date else None

    opt = _text(header.get("TaxInvoiceOpt")) or "Normal"
    if opt != "Normal":
        err("invoice_opt.invalid", "TaxInvoiceOpt")

    trx = _text(header.get("TrxCode"))
    if not trx:
        err("field.required", "TrxCode")
    elif trx not in refdata.TRX_CODES:
        err("trx_code.invalid", "TrxCode", f"{trx!r} is not a transaction code 01-10")
    out["trx_code"] = trx

    add_info, stamp = _text(header.get("AddInfo")) or None, _text(header.get("FacilityStamp")) or None
    if trx in ("07", "08"):
        if not add_info:
            err("facility.required", "AddInfo")
        elif add_info not in refdata.add_info_codes()[trx]:
            err("facility.add_info_invalid", "AddInfo", f"{add_info} is not an AddInfo code for {trx}")
        if not stamp:
            err("facility.required", "FacilityStamp")
        elif stamp not in refdata.facility_stamp_codes()[trx]:
            err("facility.stamp_invalid", "FacilityStamp", f"{stamp} is not a FacilityStamp code for {trx}")
        if add_info and stamp and add_info[-2:] != stamp[-2:]:
            err("facility.mismatch", "FacilityStamp", f"{add_info} and {stamp} do not pair")
    elif add_info or stamp:
        err("facility.not_allowed", "AddInfo" if add_info else "FacilityStamp")
    out["add_info"], out["facility_stamp"] = add_info, stamp

    out["custom_doc"] = _text(header.get("CustomDoc")) or None
    cdmy = _text(header.get("CustomDocMonthYear")) or None
    if cdmy and not (re.fullmatch(r"\d{6}", cdmy) and 1 <= int(cdmy[:2]) <= 12):
        err("custom_doc_month_year.invalid", "CustomDocMonthYear")
    out["custom_doc_month_year"] = cdmy
    ref = _text(header.get("RefDesc")) or None
    if ref and ref in ctx.taken_references:
        err("invoice.duplicate_reference", "RefDesc", f"reference {ref!r} is already used by another invoice")
    out["ref_desc"] = ref

    _buyer(header, out, ctx, err, warn)
    out["lines"] = _lines(lines, trx, ctx, errors, warnings)
    if errors:
        return Outcome(None, errors, warnings)
    t = ppn.totals(ppn.LineAmounts(line["tax_base"], line["other_tax_base"], line["vat_rate"], line["vat"],
                                   line["stlg_rate"], line["stlg"]) for line in out["lines"])
    out.update(dpp=t.dpp, dpp_other=t.dpp_other, ppn=t.ppn, ppnbm=t.ppnbm)
    return Outcome(out, errors, warnings)


def _buyer(header: dict[str, str | None], out: dict[str, Any], ctx: Context, err: Callable[..., None],
           warn: Callable[[str, str], None]) -> None:
    document = _text(header.get("BuyerDocument"))
    if document in DOC_ALIASES:
        warn("normalised.buyer_document", "BuyerDocument")
        document = DOC_ALIASES[document]
    if not document:
        err("field.required", "BuyerDocument")
    elif document not in refdata.BUYER_DOCUMENTS:
        err("buyer.document_invalid", "BuyerDocument", f"{document!r} is not a buyer document type")
    out["buyer_document"] = document

    tin = re.sub(r"\s+", "", _text(header.get("BuyerTin")))
    if len(tin) == 15 and tin.isdigit() and tin != "0" * 15:
        warn("normalised.npwp15", "BuyerTin")
        tin = "0" + tin
    if document == "TIN":
        if not tin:
            err("field.required", "BuyerTin")
        elif (problem := npwp16_problem(tin)) is not None:
            err(_NPWP_PROBLEM_CODE[problem], "BuyerTin", f"buyer NPWP {tin}: {problem}")
    elif document and tin and tin not in (ZERO_TIN, "0" * 15):
        err("buyer.tin_must_be_zero", "BuyerTin")
    out["buyer_tin"] = tin if document == "TIN" else ZERO_TIN

    number = _text(header.get("BuyerDocumentNumber"))
    if document == "TIN":
        number = ""  # "-" or empty per DJP; some generators put the invoice number here: not a buyer fact
    elif document and not number:
        err("buyer.document_number_required", "BuyerDocumentNumber")
    elif document == "National ID" and nik_problem(number):
        err("buyer.nik_invalid", "BuyerDocumentNumber", f"{number!r} is not a valid NIK ({nik_problem(number)})")
    out["buyer_document_number"] = number or None

    country = _text(header.get("BuyerCountry")).upper()
    domestic = document in ("TIN", "National ID")
    if not country:
        if domestic:
            warn("normalised.country_missing", "BuyerCountry")
            country = "IDN"
        else:
            err("field.required", "BuyerCountry")
    elif country == "IND" and domestic:
        warn("normalised.country_ind", "BuyerCountry")
        country = "IDN"
    if country and country not in refdata.countries():
        err("buyer.country_invalid", "BuyerCountry", f"{country!r} is not in DJP's country list")
    out["buyer_country"] = country or None

    out["buyer_name"] = _text(header.get("BuyerName")) or None
    out["buyer_address"] = " ".join(_text(header.get("BuyerAdress")).split()) or None
    out["buyer_email"] = _text(header.get("BuyerEmail")) or None
    if document and document != "TIN" and not out["buyer_name"]:
        err("buyer.name_required", "BuyerName")

    idtku = re.sub(r"\s+", "", _text(header.get("BuyerIDTKU")))
    if document == "TIN" and out["buyer_tin"] != ZERO_TIN:
        if len(idtku) == 16 and idtku.isdigit():
            warn("normalised.nitku_16", "BuyerIDTKU")
            idtku = head_office_nitku(idtku)
        if not idtku:
            idtku = head_office_nitku(out["buyer_tin"])
        elif nitku_problem(idtku):
            err("nitku.invalid", "BuyerIDTKU")
        elif not idtku.startswith(out["buyer_tin"]):
            err("nitku.not_of_taxpayer", "BuyerIDTKU", "BuyerIDTKU does not start with BuyerTin")
    else:
        if idtku and idtku != "000000":
            warn("normalised.buyer_idtku_non_tin", "BuyerIDTKU")
        idtku = "000000"
    out["buyer_nitku"] = idtku


def _number(raw: str | None, name: str, i: int, ctx: Context, errors: list[dict[str, Any]],
            warnings: list[dict[str, Any]], *, required: bool = True, default: str | None = None) -> Decimal | None:
    text = _text(raw)
    if not text:
        if default is not None:
            return Decimal(default)
        if required:
            errors.append(error("field.required", ctx.line_path(i, name)))
        return None
    if not _DECIMAL.match(text):
        errors.append(error("line.number_invalid", ctx.line_path(i, name), f"{name} {text!r} is not a number"))
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        errors.append(error("line.number_invalid", ctx.line_path(i, name)))
        return None
    if value != ppn.r2(value):
        warnings.append(error("normalised.decimals", ctx.line_path(i, name)))
        value = ppn.r2(value)
    return value


def _lines(lines: list[dict[str, str | None]], trx: str, ctx: Context, errors: list[dict[str, Any]],
           warnings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not lines:
        errors.append(error("line.required", ctx.path("ListOfGoodService")))
        return []
    out = []
    for i, raw in enumerate(lines):
        def err(code: str, name: str, message: str | None = None, i: int = i) -> None:
            errors.append(error(code, ctx.line_path(i, name), message))

        line: dict[str, Any] = {"line_no": i + 1}
        opt = _text(raw.get("Opt"))
        if not opt:
            err("field.required", "Opt")
        elif opt not in refdata.OPTS:
            err("line.opt_invalid", "Opt")
        line["opt"] = opt
        code = _text(raw.get("Code"))
        if not code:
            if raw.get("Code") is not None:
                warnings.append(error("normalised.code_empty", ctx.line_path(i, "Code")))
            code = "000000"
        elif code not in refdata.goods_services_codes():
            err("line.code_unknown", "Code", f"{code!r} is not in DJP's goods/services list")
        line["code"] = code
        name = _text(raw.get("Name"))
        if not name:
            err("field.required", "Name")
        elif len(name) > MAX_TEXT["Name"]:
            err("field.too_long", "Name")
        line["name"] = name
        unit = _text(raw.get("Unit"))
        if not unit:
            err("field.required", "Unit")
        elif unit not in refdata.units():
            err("line.unit_invalid", "Unit", f"{unit!r} is not a unit of DJP's list")
        line["unit"] = unit

        n = {k: _number(raw.get(k), k, i, ctx, errors, warnings, default="0" if k in ("TotalDiscount", "STLGRate",
                                                                                       "STLG") else None)
             for k in ("Price", "Qty", "TotalDiscount", "TaxBase", "OtherTaxBase", "VATRate", "VAT", "STLGRate",
                       "STLG")}
        if any(v is None for v in n.values()):
            out.append(line)
            continue
        price, qty, disc, tb, otb, rate, vat, srate, stlg = (n[k] for k in (
            "Price", "Qty", "TotalDiscount", "TaxBase", "OtherTaxBase", "VATRate", "VAT", "STLGRate", "STLG"))
        assert price is not None and qty is not None and disc is not None and tb is not None and otb is not None
        assert rate is not None and vat is not None and srate is not None and stlg is not None
        if price <= 0:
            err("line.price_not_positive", "Price")
        if qty <= 0:
            err("line.qty_not_positive", "Qty")
        if disc < 0:
            err("line.number_invalid", "TotalDiscount", "TotalDiscount must not be negative")
        if tb < 0:
            err("line.negative_tax_base", "TaxBase")
        if vat < 0:
            err("line.negative_vat", "VAT")
        if stlg < 0 or srate < 0:
            err("line.negative_stlg", "STLG")
        if not ppn.close(tb, price * qty - disc, ppn.tax_base_tolerance(qty)):
            err("line.tax_base_mismatch", "TaxBase",
                f"TaxBase {tb} but Price x Qty - TotalDiscount = {ppn.r2(price * qty - disc)}")
        nilai_lain = ppn.r2(tb * ppn.NILAI_LAIN)
        if rate == 11 and ppn.close(otb, tb):
            warnings.append(error("normalised.vat_rate_11", ctx.line_path(i, "VATRate")))
            rate, otb = ppn.RATE, nilai_lain
        if rate not in (ppn.RATE, ppn.ZERO) or (rate == 0 and trx not in ("07", "08") and vat != 0):
            err("line.vat_rate_invalid", "VATRate", f"VATRate {n['VATRate']} is not the rate in force (12)")
        if not (ppn.close(otb, tb) or ppn.close(otb, nilai_lain) or (rate == 0 and otb == 0)):
            err("line.other_tax_base_mismatch", "OtherTaxBase",
                f"OtherTaxBase {otb} is neither TaxBase {tb} nor 11/12 of it ({nilai_lain})")
        expected_vat = ppn.r2(otb * rate / ppn.HUNDRED)
        # Generators that compute 11% of TaxBase differ by a cent from 12% of a rounded 11/12 (coretax-xml §4.4).
        eleven = ppn.r2(tb * Decimal("0.11"))
        if trx in ("01", "04", "09") and not (ppn.close(vat, expected_vat) or
                                              (ppn.close(otb, nilai_lain) and ppn.close(vat, eleven))):
            err("line.vat_mismatch", "VAT", f"VAT {vat} but VATRate x OtherTaxBase = {expected_vat}")
        if srate > 0 and not (ppn.close(stlg, ppn.r2(otb * srate / ppn.HUNDRED)) or
                              ppn.close(stlg, ppn.r2(tb * srate / ppn.HUNDRED))):
            err("line.stlg_mismatch", "STLG", f"STLG {stlg} but STLGRate x OtherTaxBase = "
                                              f"{ppn.r2(otb * srate / ppn.HUNDRED)}")
        if srate == 0 and stlg != 0:
            err("line.stlg_mismatch", "STLG", "STLG without an STLGRate")
        line.update(price=price, qty=qty, discount=disc, tax_base=tb, other_tax_base=otb, vat_rate=rate, vat=vat,
                    stlg_rate=srate, stlg=stlg)
        out.append(line)
    return out
