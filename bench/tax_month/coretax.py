"""A taxpayer's month of output invoices as one Coretax `TaxInvoiceBulk` file (pure), the shape
`bench/invoice_upload.py` uploads: every line 2 x Rp 100,000, DPP nilai lain 11/12, PPN 12 % of it (Rp 22,000)."""

from __future__ import annotations

from decimal import Decimal

from bench.tax_month.months import Month

LINE_PPN = Decimal(22000)


def line_xml(j: int) -> str:
    return (f"<GoodService><Opt>A</Opt><Code>000000</Code><Name>Barang {j}</Name><Unit>UM.0018</Unit>"
            "<Price>100000.00</Price><Qty>2</Qty><TotalDiscount>0</TotalDiscount><TaxBase>200000.00</TaxBase>"
            "<OtherTaxBase>183333.33</OtherTaxBase><VATRate>12</VATRate><VAT>22000.00</VAT><STLGRate>0</STLGRate>"
            "<STLG>0</STLG></GoodService>")


def month_file(seller: str, buyer: str, month: Month, invoices: int, lines: int, tag: str) -> bytes:
    """`invoices` invoices from `seller` to `buyer` (both NPWP16), dated over `month`, references `tag-<i>`."""
    goods = "".join(line_xml(j) for j in range(lines))
    parts = [f'<?xml version="1.0" encoding="utf-8"?><TaxInvoiceBulk><TIN>{seller}</TIN><ListOfTaxInvoice>']
    for i in range(invoices):
        parts.append(
            f"<TaxInvoice><TaxInvoiceDate>{month.day(i + 1).isoformat()}</TaxInvoiceDate>"
            f"<TaxInvoiceOpt>Normal</TaxInvoiceOpt><TrxCode>04</TrxCode><AddInfo/><CustomDoc/><CustomDocMonthYear/>"
            f"<RefDesc>{tag}-{i}</RefDesc><FacilityStamp/><SellerIDTKU>{seller}000000</SellerIDTKU>"
            f"<BuyerTin>{buyer}</BuyerTin><BuyerDocument>TIN</BuyerDocument><BuyerCountry>IDN</BuyerCountry>"
            f"<BuyerDocumentNumber/><BuyerName>Pembeli {i}</BuyerName><BuyerAdress>Jl. Contoh {i}</BuyerAdress>"
            f"<BuyerEmail/><BuyerIDTKU>{buyer}000000</BuyerIDTKU><ListOfGoodService>{goods}</ListOfGoodService>"
            "</TaxInvoice>")
    parts.append("</ListOfTaxInvoice></TaxInvoiceBulk>")
    return "".join(parts).encode()


def expected_ppn(invoices: int, lines: int) -> Decimal:
    """The output PPN the prefill must show for such a file."""
    return LINE_PPN * lines * invoices
