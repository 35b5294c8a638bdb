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
from functools import lru_cache
from typing import Any

from invoice import ppn, refdata
from invoice.codes import error
from kit import identifiers
from kit.identifiers import head_office_nitku, nik_problem
from kit.text import character_problem, describe

ZERO_TIN = "0" * 16
DOC_ALIASES = {"NIK": "National ID", "Other": "Other ID"}
MAX_TEXT = {"RefDesc": 200, "BuyerName": 200, "BuyerAdress": 500, "BuyerEmail": 200, "CustomDoc": 100,
            "BuyerDocumentNumber": 64, "Name": 500}
_DECIMAL = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")
_HEADER_LIMITS = [(name, limit) for name, limit in MAX_TEXT.items() if name != "Name"]
_SPACES = re.compile(r"\s+")
_XML_WHITESPACE = frozenset("\t\n\r")  # kept or normalised; any other control or format character is refused
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MONTH_YEAR = re.compile(r"[0-9]{6}")
# (element, absent or empty means 0), in the order they are read and reported
_NUMBER_FIELDS = (("Price", False), ("Qty", False), ("TotalDiscount", True), ("TaxBase", False),
                  ("OtherTaxBase", False), ("VATRate", False), ("VAT", False), ("STLGRate", True), ("STLG", True))
_NUMBER_NAMES = tuple(name for name, _ in _NUMBER_FIELDS)
_NUMBER_ZERO_DEFAULTS = tuple(zero_default for _, zero_default in _NUMBER_FIELDS)
_ZERO = Decimal(0)
_CACHED_TEXT = 32  # values up to this length are cached (a file cannot fill the caches with huge strings)
_ELEVEN = Decimal(11)
_ELEVEN_PERCENT = Decimal("0.11")
_VAT_BINDING_TRX = frozenset({"01", "04", "09"})
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


def _cached_check(check: Callable[[str], str | None]) -> Callable[[str], str | None]:
    """`check` (a pure function of an identifier) remembering its answers for short values: the seller's NITKU is on
    every invoice of a file, and buyers repeat."""
    cached = lru_cache(maxsize=4096)(check)
    return lambda value: cached(value) if len(value) <= _CACHED_TEXT else check(value)


_nitku_problem = _cached_check(identifiers.nitku_problem)
_npwp16_problem = _cached_check(identifiers.npwp16_problem)


_LINE_TEXT = ("Opt", "Code", "Name", "Unit")


def _check_characters(name: str, value: str | None, err: Callable[[str, str, str], None]) -> None:
    """The same character policy as the API's (kit.text): an upload cannot store what a draft may not hold."""
    if value and (found := character_problem(value, allowed=_XML_WHITESPACE)) is not None:
        err("field.invalid_character", name, f"{describe(found[1])} at position {found[0]} is not allowed")


def _text(value: str | None) -> str:
    return (value or "").strip()


def invoice_date_of(text: str | None) -> date | None:
    """TaxInvoiceDate read as validation reads it (YYYY-MM-DD), None when it is not such a date. The API computes
    its amounts with it (`service.to_xml_vocabulary`), uploads restate theirs with it."""
    raw = _text(text)
    if not _ISO_DATE.fullmatch(raw):
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def validate(header: dict[str, str | None], lines: list[dict[str, str | None]], ctx: Context) -> Outcome:
    errors: list[dict[str, Any]] = []
    warnings: list[dict[str, Any]] = []
    p = ctx.path

    def err(code: str, name: str, message: str | None = None) -> None:
        errors.append(error(code, p(name), message))

    def warn(code: str, name: str) -> None:
        warnings.append(error(code, p(name)))

    out: dict[str, Any] = {}
    for name, limit in _HEADER_LIMITS:
        if len((header.get(name) or "").strip()) > limit:
            err("field.too_long", name, f"{name} is longer than {limit} characters")
    for name, value in header.items():
        _check_characters(name, value, err)

    # seller
    out["seller_npwp"] = ctx.seller_npwp
    seller_nitku = _SPACES.sub("", _text(header.get("SellerIDTKU")))
    if seller_nitku != _text(header.get("SellerIDTKU")):
        warn("normalised.nitku_space", "SellerIDTKU")
    if not seller_nitku:
        err("field.required", "SellerIDTKU")
    elif len(seller_nitku) == 16 and seller_nitku.isdigit():
        warn("normalised.nitku_16", "SellerIDTKU")
        seller_nitku = head_office_nitku(seller_nitku)
    if seller_nitku:
        if _nitku_problem(seller_nitku):
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
        invoice_date = invoice_date_of(raw_date)
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
    if cdmy and not (_MONTH_YEAR.fullmatch(cdmy) and 1 <= int(cdmy[:2]) <= 12):
        err("custom_doc_month_year.invalid", "CustomDocMonthYear")
    out["custom_doc_month_year"] = cdmy
    ref = _text(header.get("RefDesc")) or None
    if ref and ref in ctx.taken_references:
        err("invoice.duplicate_reference", "RefDesc", f"reference {ref!r} is already used by another invoice")
    out["ref_desc"] = ref

    _buyer(header, out, ctx, err, warn)
    out["lines"] = _lines(lines, trx, invoice_date, ctx, errors, warnings)
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

    tin = _SPACES.sub("", _text(header.get("BuyerTin")))
    if len(tin) == 15 and tin.isdigit() and tin != "0" * 15:
        warn("normalised.npwp15", "BuyerTin")
        tin = "0" + tin
    if document == "TIN":
        if not tin:
            err("field.required", "BuyerTin")
        elif (problem := _npwp16_problem(tin)) is not None:
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

    idtku = _SPACES.sub("", _text(header.get("BuyerIDTKU")))
    if document == "TIN" and out["buyer_tin"] != ZERO_TIN:
        if len(idtku) == 16 and idtku.isdigit():
            warn("normalised.nitku_16", "BuyerIDTKU")
            idtku = head_office_nitku(idtku)
        if not idtku:
            idtku = head_office_nitku(out["buyer_tin"])
        elif _nitku_problem(idtku):
            err("nitku.invalid", "BuyerIDTKU")
        elif not idtku.startswith(out["buyer_tin"]):
            err("nitku.not_of_taxpayer", "BuyerIDTKU", "BuyerIDTKU does not start with BuyerTin")
    else:
        if idtku and idtku != "000000":
            warn("normalised.buyer_idtku_non_tin", "BuyerIDTKU")
        idtku = "000000"
    out["buyer_nitku"] = idtku


_NOT_A_NUMBER, _INVALID = "not a number", "invalid"


def _decimal(text: str) -> tuple[Decimal, bool] | str:
    """(the value at 2 decimals half-up, whether that rounding changed it), or why `text` is not a number."""
    if not _DECIMAL.match(text):
        return _NOT_A_NUMBER
    try:
        value = Decimal(text)
    except InvalidOperation:
        return _INVALID
    dot = text.find(".")
    if dot >= 0 and len(text) - dot > 3:  # more than 2 decimals (with at most 2, rounding to cents changes nothing)
        rounded = ppn.r2(value)
        if value != rounded:
            return rounded, True
    return value, False


def _numbers(raw: dict[str, str | None], i: int, ctx: Context, errors: list[dict[str, Any]],
             warnings: list[dict[str, Any]]) -> list[Decimal]:
    """The line's numbers in `_NUMBER_FIELDS` order, reporting what is missing, invalid or rounded (fewer numbers
    than fields when one is missing or invalid)."""
    numbers: list[Decimal] = []
    for k, zero_default in _NUMBER_FIELDS:
        number = raw.get(k)
        number = number.strip() if number else ""
        if not number:
            if zero_default:
                numbers.append(_ZERO)
            else:
                errors.append(error("field.required", ctx.line_path(i, k)))
            continue
        parsed = _decimal(number)
        if parsed.__class__ is tuple:
            value, rounded = parsed  # type: ignore[misc]
            if rounded:
                warnings.append(error("normalised.decimals", ctx.line_path(i, k)))
            numbers.append(value)
        elif parsed is _NOT_A_NUMBER:
            errors.append(error("line.number_invalid", ctx.line_path(i, k), f"{k} {number!r} is not a number"))
        else:
            errors.append(error("line.number_invalid", ctx.line_path(i, k)))
    return numbers


class _NeedsReport(Exception):
    """A number element that is missing, invalid or rounded: read it with its error or warning (`_numbers`)."""


@lru_cache(maxsize=4096)
def _plain_number(raw: str | None, zero_default: bool) -> Decimal:
    """The value of a number element that needs no error or warning, else _NeedsReport (also for a long text, so
    that only short ones are cached). Cached: an upload repeats the same rates, quantities and amounts on many lines
    (Decimals are immutable)."""
    if raw is not None and len(raw) > _CACHED_TEXT:
        raise _NeedsReport
    text = raw.strip() if raw else ""
    if not text:
        if zero_default:
            return _ZERO
        raise _NeedsReport
    parsed = _decimal(text)
    if parsed.__class__ is not tuple or parsed[1]:
        raise _NeedsReport
    return parsed[0]  # type: ignore[return-value]


def _lines(lines: list[dict[str, str | None]], trx: str, invoice_date: date | None, ctx: Context,
           errors: list[dict[str, Any]], warnings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not lines:
        errors.append(error("line.required", ctx.path("ListOfGoodService")))
        return []
    goods_services, units = refdata.goods_services_codes(), refdata.units()
    r2, close = ppn.r2, ppn.close
    vat_binding = trx in _VAT_BINDING_TRX
    facility = trx in ("07", "08")
    luxury_full_price = ppn.luxury_on_full_price(invoice_date)
    out = []
    for i, raw in enumerate(lines):
        def err(code: str, name: str, message: str | None = None, i: int = i) -> None:
            errors.append(error(code, ctx.line_path(i, name), message))

        for name in _LINE_TEXT:
            _check_characters(name, raw.get(name), err)

        opt = (raw.get("Opt") or "").strip()
        if not opt:
            err("field.required", "Opt")
        elif opt not in refdata.OPTS:
            err("line.opt_invalid", "Opt")
        raw_code = raw.get("Code")
        code = raw_code.strip() if raw_code else ""
        if not code:
            if raw_code is not None:
                warnings.append(error("normalised.code_empty", ctx.line_path(i, "Code")))
            code = "000000"
        elif code not in goods_services:
            err("line.code_unknown", "Code", f"{code!r} is not in DJP's goods/services list")
        name = (raw.get("Name") or "").strip()
        if not name:
            err("field.required", "Name")
        elif len(name) > MAX_TEXT["Name"]:
            err("field.too_long", "Name")
        unit = (raw.get("Unit") or "").strip()
        if not unit:
            err("field.required", "Unit")
        elif unit not in units:
            err("line.unit_invalid", "Unit", f"{unit!r} is not a unit of DJP's list")
        line: dict[str, Any] = {"line_no": i + 1, "opt": opt, "code": code, "name": name, "unit": unit}

        try:  # the common case: every number present, plain and with at most 2 decimals (nothing to report)
            numbers = list(map(_plain_number, map(raw.get, _NUMBER_NAMES), _NUMBER_ZERO_DEFAULTS))
        except _NeedsReport:
            numbers = _numbers(raw, i, ctx, errors, warnings)
        if len(numbers) != len(_NUMBER_FIELDS):  # a number missing or invalid: reported, the line is not computed
            out.append(line)
            continue
        price, qty, disc, tb, otb, rate, vat, srate, stlg = numbers
        parsed_rate = rate
        if price <= _ZERO:
            err("line.price_not_positive", "Price")
        if qty <= _ZERO:
            err("line.qty_not_positive", "Qty")
        if disc < _ZERO:
            err("line.number_invalid", "TotalDiscount", "TotalDiscount must not be negative")
        if tb < _ZERO:
            err("line.negative_tax_base", "TaxBase")
        if vat < _ZERO:
            err("line.negative_vat", "VAT")
        if stlg < _ZERO or srate < _ZERO:
            err("line.negative_stlg", "STLG")
        if not close(tb, price * qty - disc, ppn.tax_base_tolerance(qty)):
            err("line.tax_base_mismatch", "TaxBase",
                f"TaxBase {tb} but Price x Qty - TotalDiscount = {r2(price * qty - disc)}")
        nilai_lain = ppn.other_base_of(tb, nilai_lain=True)
        otb_is_tb = close(otb, tb)
        luxury = srate > _ZERO
        if rate == _ELEVEN and otb_is_tb:
            # The pre-2025 spelling (DJP's portal template): 11% of the price, the same tax as 12% of DPP nilai lain
            # 11/12 for other goods (PMK-131/2024 Art 3). Luxury goods pay 12% of the full price from 1 Feb 2025
            # (Art 2(2)-(3); 11/12 only in January 2025), so there the line is restated on its own base with the
            # rate in force, by the `ppn` functions an API line uses, rather than refused: the rate is the law's and
            # the base the seller's, Coretax takes VAT as VATRate x OtherTaxBase (coretax-xml.md §4.1; its v1.6.1
            # template allows VATRate 12 only), DJP serves this template itself, and an upload makes a draft: the
            # seller sees the restated PPN in the warning before signing.
            on_nilai_lain = ppn.uses_nilai_lain(trx, luxury=luxury, override=True, on=invoice_date)
            restated = ppn.line_amounts(tb, nilai_lain=on_nilai_lain, stlg_rate=srate)
            stated_vat = vat
            if close(vat, r2(tb * _ELEVEN_PERCENT)):  # the spelling's own VAT (another value stays, checked below)
                vat = restated.vat
            if on_nilai_lain:
                warnings.append(error("normalised.vat_rate_11", ctx.line_path(i, "VATRate")))
            else:
                warnings.append(error("normalised.luxury_vat_rate_11", ctx.line_path(i, "VATRate"),
                                      f"VATRate 11 on a luxury line read as 12 on the full price TaxBase {tb}: "
                                      f"VAT {stated_vat} restated as {vat}"))
            rate, otb = restated.vat_rate, restated.other_tax_base
            otb_is_tb = close(otb, tb)
        if rate not in (ppn.RATE, ppn.ZERO) or (rate == _ZERO and not facility and vat != _ZERO):
            err("line.vat_rate_invalid", "VATRate", f"VATRate {parsed_rate} is not the rate in force (12)")
        otb_is_nilai_lain = close(otb, nilai_lain)
        if not (otb_is_tb or otb_is_nilai_lain or (rate == _ZERO and otb == _ZERO)):
            err("line.other_tax_base_mismatch", "OtherTaxBase",
                f"OtherTaxBase {otb} is neither TaxBase {tb} nor 11/12 of it ({nilai_lain})")
        elif luxury and luxury_full_price and rate != _ZERO and not otb_is_tb:
            # A generator applied the non-luxury base to a luxury good (Odoo refuses that mix, coretax-xml.md §6 rule 5):
            # the PPN stated is a twelfth short of the tax (PMK-131/2024 Art 2(2)-(3)), and it is the seller's own
            # figure, not a spelling: refused, the seller restates it.
            err("line.luxury_nilai_lain", "OtherTaxBase",
                f"OtherTaxBase {otb} is 11/12 of TaxBase {tb}: a luxury line is taxed on the full price")
        # Generators that compute 11% of TaxBase differ by a cent from 12% of a rounded 11/12 (coretax-xml §4.4).
        if vat_binding:
            expected_vat = ppn.vat_of(otb, rate)
            if not (close(vat, expected_vat) or
                    (otb_is_nilai_lain and close(vat, r2(tb * _ELEVEN_PERCENT)))):
                err("line.vat_mismatch", "VAT", f"VAT {vat} but VATRate x OtherTaxBase = {expected_vat}")
        # STLG on TaxBase (PPnBM's base, `ppn.stlg_of`); generators that use OtherTaxBase are accepted as well.
        if luxury and not (close(stlg, ppn.stlg_of(tb, srate)) or close(stlg, ppn.stlg_of(otb, srate))):
            err("line.stlg_mismatch", "STLG", f"STLG {stlg} but STLGRate x TaxBase = {ppn.stlg_of(tb, srate)}")
        if srate == _ZERO and stlg != _ZERO:
            err("line.stlg_mismatch", "STLG", "STLG without an STLGRate")
        line.update(price=price, qty=qty, discount=disc, tax_base=tb, other_tax_base=otb, vat_rate=rate, vat=vat,
                    stlg_rate=srate, stlg=stlg)
        out.append(line)
    return out
