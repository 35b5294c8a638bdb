"""Validation codes and the generators' deviations on the sample files (tests/samples, copied from the shared
set), and the identifier rules' test vectors."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from invoice import coretax_xml
from invoice.codes import CODES
from invoice.validation import Context, validate
from kit.identifiers import nik_problem, npwp16_problem

SAMPLES = Path(__file__).parent.parent / "samples"
SELLER = "0900000019000000"


def ctx(pkp: bool | None = True, taken: set[str] | None = None) -> Context:
    return Context(seller_npwp=SELLER, today=date(2026, 12, 31), is_pkp=lambda d: pkp,
                   taken_references=taken or set())


def first(name: str) -> coretax_xml.ParsedInvoice:
    tin, invoices = coretax_xml.read((SAMPLES / name).read_bytes())
    assert tin == SELLER
    return next(iter(invoices))


def codes(outcome) -> list[str]:  # type: ignore[no-untyped-def]
    return [e["code"] for e in outcome.errors]


@pytest.mark.parametrize("npwp", ["0013121660091000", "0831326657201000", "3171011708450001", "0023869720091000"])
def test_valid_npwp16(npwp: str) -> None:
    assert npwp16_problem(npwp) is None


@pytest.mark.parametrize(("npwp", "problem"), [("0014518697054000", "checksum"), ("01234567890123", "length"),
                                               ("0F34567890123456", "format"), ("9971011708450001", "nik")])
def test_invalid_npwp16(npwp: str, problem: str) -> None:
    assert npwp16_problem(npwp) == problem


@pytest.mark.parametrize(("nik", "problem"), [("3171015708450001", None), ("3171012902001234", None),
                                              ("3171013002001234", "date"), ("3502027102019913", "date"),
                                              ("9971011708450001", "province")])
def test_nik(nik: str, problem: str | None) -> None:
    assert nik_problem(nik) == problem


def test_odoo_sample_is_valid_but_dated_before_coretax() -> None:
    p = first("odoo-sample-trx04.xml")
    out = validate(p.header, p.lines, ctx())
    assert codes(out) == ["date.before_2025"]
    p.header["TaxInvoiceDate"] = "2025-05-01"
    out = validate(p.header, p.lines, ctx())
    assert out.errors == [] and out.invoice is not None
    assert (out.invoice["dpp"], out.invoice["dpp_other"], out.invoice["ppn"]) == (100000, 91667, 11000)


def test_djp_style_trx08_with_stlg_on_other_tax_base() -> None:
    p = first("djp-style-trx08-3lines.xml")
    p.header["TaxInvoiceDate"] = "2025-01-02"
    out = validate(p.header, p.lines, ctx())
    assert out.errors == [], out.errors
    assert out.invoice["add_info"] == "TD.00501" and out.invoice["facility_stamp"] == "TD.01101"  # type: ignore


def test_portal_template_deviations_are_normalised_with_warnings() -> None:
    p = first("portal-template-trx01.xml")
    out = validate(p.header, p.lines, ctx())
    assert out.errors == [], out.errors
    warned = {w["code"] for w in out.warnings}
    # its line is a luxury one (STLGRate 20): VATRate 11 is read as 12 on the full price (issue 11, bug (d))
    assert {"normalised.nitku_16", "normalised.country_ind", "normalised.luxury_vat_rate_11"} <= warned
    assert out.invoice["seller_nitku"] == SELLER + "000000" and out.invoice["buyer_country"] == "IDN"  # type: ignore


def test_malformed_sample_is_reported_with_its_location() -> None:
    with pytest.raises(coretax_xml.FileRejected) as caught:
        coretax_xml.read((SAMPLES / "malformed-close-tag.xml").read_bytes())[1].__next__()
    assert caught.value.code == "xml.malformed" and caught.value.path.startswith("line 39")


@pytest.mark.parametrize(("change", "code", "path"), [
    ({"TrxCode": "11"}, "trx_code.invalid", "TrxCode"),
    ({"BuyerTin": "0900000028000000"}, "npwp.checksum", "BuyerTin"),
    ({"BuyerTin": "09000000270"}, "npwp.invalid_length", "BuyerTin"),
    ({"TaxInvoiceDate": "02/01/2025"}, "date.invalid", "TaxInvoiceDate"),
    ({"TrxCode": "07", "AddInfo": "", "FacilityStamp": ""}, "facility.required", "AddInfo"),
    ({"TrxCode": "07", "AddInfo": "TD.00501", "FacilityStamp": "TD.01102"}, "facility.mismatch", "FacilityStamp"),
    ({"AddInfo": "TD.00501"}, "facility.not_allowed", "AddInfo"),
    ({"BuyerDocument": "Passport", "BuyerDocumentNumber": ""}, "buyer.tin_must_be_zero", "BuyerTin"),
    ({"BuyerCountry": "XYZ"}, "buyer.country_invalid", "BuyerCountry"),
    ({"SellerIDTKU": "0900000027000000000000"}, "nitku.not_of_taxpayer", "SellerIDTKU"),
    ({"RefDesc": "TAKEN"}, "invoice.duplicate_reference", "RefDesc"),
    ({"TaxInvoiceOpt": "Pengganti"}, "invoice_opt.invalid", "TaxInvoiceOpt"),
])
def test_each_rule_has_its_code_and_path(change: dict[str, str], code: str, path: str) -> None:
    p = first("odoo-sample-trx04.xml")
    p.header.update({"TaxInvoiceDate": "2025-05-01", **change})
    out = validate(p.header, p.lines, ctx(taken={"TAKEN"}))
    assert code in codes(out), out.errors
    found = next(e for e in out.errors if e["code"] == code)
    assert found["path"] == path and found["message"]
    assert found["legacy_code"] == CODES[code].legacy


@pytest.mark.parametrize(("change", "code"), [
    ({"TaxBase": "100000.50"}, "line.tax_base_mismatch"),
    ({"VAT": "11500.00"}, "line.vat_mismatch"),
    ({"OtherTaxBase": "90000"}, "line.other_tax_base_mismatch"),
    ({"Unit": "UM.0099"}, "line.unit_invalid"),
    ({"Code": "999999"}, "line.code_unknown"),
    ({"Price": "abc"}, "line.number_invalid"),
    ({"Price": "0", "TaxBase": "0", "OtherTaxBase": "0", "VAT": "0"}, "line.price_not_positive"),
    ({"Opt": "C"}, "line.opt_invalid"),
    ({"VATRate": "10"}, "line.vat_rate_invalid"),
])
def test_line_rules(change: dict[str, str], code: str) -> None:
    p = first("odoo-sample-trx04.xml")
    p.header["TaxInvoiceDate"] = "2025-05-01"
    p.lines[0].update(change)
    out = validate(p.header, p.lines, ctx())
    assert code in codes(out), out.errors
    assert any(e["path"].startswith("GoodService[1]/") for e in out.errors)


def test_seller_not_pkp_and_unknown() -> None:
    p = first("odoo-sample-trx04.xml")
    p.header["TaxInvoiceDate"] = "2025-05-01"
    assert codes(validate(p.header, p.lines, ctx(pkp=False))) == ["seller.not_pkp"]
    assert codes(validate(p.header, p.lines, ctx(pkp=None))) == ["seller.unknown"]


def test_generator_cent_differences_are_tolerated() -> None:
    p = first("odoo-sample-trx04.xml")
    p.header["TaxInvoiceDate"] = "2025-05-01"
    p.lines[0].update(Price="66773.33", Qty="60", TaxBase="4006400", OtherTaxBase="3672533.33", VAT="440704.00",
                      TotalDiscount="0")
    assert validate(p.header, p.lines, ctx()).errors == []


@pytest.mark.parametrize(("data", "code"), [
    (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
     b"<TaxInvoiceBulk><TIN>&lol2;</TIN></TaxInvoiceBulk>", "xml.doctype_forbidden"),
    (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><TaxInvoiceBulk><TIN>&xxe;'
     b"</TIN></TaxInvoiceBulk>", "xml.doctype_forbidden"),
    (b"<Invoice><TIN>1</TIN></Invoice>", "xml.wrong_root"),
    (b'<?xml version="1.0" encoding="ISO-8859-1"?><TaxInvoiceBulk/>', "xml.encoding_unsupported"),
    (b"<TaxInvoiceBulk><TIN>0900000019000000</TIN></TaxInvoiceBulk>", "xml.no_invoices"),
    (b"<TaxInvoiceBulk><TIN>0900000019000000</TIN><ListOfTaxInvoice><TaxInvoice><Name>A & B</Name>"
     b"</TaxInvoice></ListOfTaxInvoice></TaxInvoiceBulk>", "xml.malformed"),
])
def test_hostile_and_broken_files(data: bytes, code: str) -> None:
    with pytest.raises(coretax_xml.FileRejected) as caught:
        tin, invoices = coretax_xml.read(data)
        list(invoices)
    assert caught.value.code == code
