"""Stable validation error codes, each with its legacy e-Faktur ETAX code where one exists (so migrating users
recognise it) and an English message. Served as `GET /v1/error-codes`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Code:
    code: str
    message: str
    legacy: str | None = None


_ALL = [
    # file level (uploads)
    Code("upload.too_large", "The file is larger than the upload limit"),
    Code("upload.empty", "The request body is empty"),
    Code("upload.unsupported_media_type", "Send application/xml (or text/xml), or multipart/form-data with a file"),
    Code("upload.too_many_invoices", "The file holds more TaxInvoice elements than the per-file limit"),
    Code("xml.malformed", "The file is not well-formed XML", "ETAX-20023"),
    Code("xml.doctype_forbidden", "DOCTYPE, DTDs and entity declarations are refused (XML bombs, external entities)"),
    Code("xml.encoding_unsupported", "Only UTF-8 files are accepted", "ETAXSERVICE-20021"),
    Code("xml.wrong_root", "The root element must be TaxInvoiceBulk", "ETAX-20023"),
    Code("xml.no_invoices", "The file holds no TaxInvoice", "ETAX-20023"),
    Code("seller.not_caller", "The seller TIN in the file is not the taxpayer you act for"),
    # fields
    Code("field.required", "A mandatory value is empty or missing", "ETAX-20014"),
    Code("field.too_long", "The value is longer than allowed", "ETAX-20008"),
    Code("field.invalid_character", "The value holds a control or format character (such as a bidi override: it "
                                    "would show another text than it is)"),
    Code("date.invalid", "The date is not a valid YYYY-MM-DD date", "ETAX-20006"),
    Code("date.in_future", "The invoice date is in the future", "ETAX-20008"),
    Code("date.before_2025", "Coretax e-Faktur dates start on 2025-01-01 (earlier invoices belong to e-Faktur "
                             "desktop)", "ETAX-20035"),
    Code("invoice_opt.invalid", "TaxInvoiceOpt must be Normal for new invoices (replacements are made here, "
                                "not by import)", "ETAX-20026"),
    Code("trx_code.invalid", "Unknown transaction code (01-10)", "ETAX-20008"),
    Code("facility.required", "Transaction codes 07 and 08 need AddInfo (TD.005nn) and FacilityStamp (TD.011nn)",
         "ETAX-20008"),
    Code("facility.add_info_invalid", "AddInfo is not a code of the list for this transaction code", "ETAX-20008"),
    Code("facility.stamp_invalid", "FacilityStamp is not a code of the list for this transaction code", "ETAX-20008"),
    Code("facility.mismatch", "AddInfo and FacilityStamp must pair by their last two digits", "ETAX-20008"),
    Code("facility.not_allowed", "AddInfo and FacilityStamp are only for transaction codes 07 and 08", "ETAX-20008"),
    Code("custom_doc_month_year.invalid", "CustomDocMonthYear must be MMYYYY", "ETAX-20006"),
    Code("npwp.invalid_length", "The NPWP must have 16 digits", "ETAX-20001"),
    Code("npwp.invalid_format", "The NPWP must be digits only", "ETAX-20005"),
    Code("npwp.checksum", "The NPWP fails its check digit", "ETAX-20005"),
    Code("npwp.invalid_nik", "A 16-digit NPWP not starting with 0 must be a valid NIK", "ETAX-20005"),
    Code("nitku.invalid", "The NITKU must be 22 digits: a valid NPWP16 and a 6-digit place of business", "ETAX-20005"),
    Code("nitku.not_of_taxpayer", "The NITKU does not belong to this NPWP", "ETAX-20005"),
    Code("seller.not_pkp", "The seller is not a PKP on the invoice date", "ETAXSERVICE-20023"),
    Code("seller.unknown", "The seller is not in the taxpayer registry", "ETAXSERVICE-20022"),
    Code("buyer.document_invalid", "BuyerDocument must be TIN, National ID, Passport or Other ID", "ETAX-20008"),
    Code("buyer.country_invalid", "BuyerCountry is not a code of DJP's country list", "ETAX-20008"),
    Code("buyer.tin_must_be_zero", "BuyerTin must be 0000000000000000 when the buyer document is not TIN",
         "ETAX-20005"),
    Code("buyer.document_number_required", "A buyer without TIN needs the document number", "ETAX-20014"),
    Code("buyer.nik_invalid", "The buyer's National ID is not a valid NIK", "ETAX-20005"),
    Code("buyer.name_required", "The buyer's name is needed for buyers without TIN", "ETAX-20014"),
    Code("line.required", "An invoice needs at least one GoodService line", "ETAX-20022"),
    Code("line.opt_invalid", "Opt must be A (goods) or B (services)", "ETAX-20022"),
    Code("line.code_unknown", "Code is not a 6-digit goods/services code of DJP's list", "ETAX-20022"),
    Code("line.unit_invalid", "Unit is not a UM.00nn code of DJP's list", "ETAX-20022"),
    Code("line.number_invalid", "The value is not a decimal number (use . as decimal separator)", "ETAX-20004"),
    Code("line.price_not_positive", "Price must be greater than 0", "ETAX-30024"),
    Code("line.qty_not_positive", "Qty must be greater than 0", "ETAX-20004"),
    Code("line.negative_tax_base", "DPP must not be negative", "ETAX-20035"),
    Code("line.negative_vat", "PPN must not be negative", "ETAX-20036"),
    Code("line.negative_stlg", "PPnBM must not be negative", "ETAX-20037"),
    Code("line.tax_base_mismatch", "TaxBase is not Price x Qty - TotalDiscount", "ETAX-20028"),
    Code("line.other_tax_base_mismatch", "OtherTaxBase is neither TaxBase nor TaxBase x 11/12", "ETAX-20028"),
    Code("line.vat_rate_invalid", "VATRate must be 12 (11 is read as the pre-2025 spelling of the same tax; 0 only "
                                  "on facility lines)", "ETAX-20008"),
    Code("line.vat_mismatch", "VAT is not VATRate x OtherTaxBase (binding for codes 01, 04 and 09)", "ETAX-20028"),
    Code("line.stlg_mismatch", "STLG is not STLGRate x TaxBase (nor x OtherTaxBase)", "ETAX-20028"),
    # PMK-131/2024 Art 2(2)-(3): 12% on the full price for goods subject to PPnBM (11/12 only in January 2025)
    Code("line.luxury_nilai_lain", "A luxury (PPnBM) line is taxed on the full price from 1 February 2025 "
                                   "(PMK-131/2024): OtherTaxBase must equal TaxBase", "ETAX-20028"),
    Code("invoice.duplicate_reference", "Another invoice of this seller already has this reference (RefDesc)",
         "ETAX-20002"),
    # normalisations of real generators' deviations (coretax-xml.md §6b): warnings, the invoice is accepted
    Code("normalised.buyer_document", "BuyerDocument NIK/Other (older Odoo) read as National ID/Other ID"),
    Code("normalised.country_ind", "BuyerCountry IND (India) on an Indonesian TIN/NIK buyer read as IDN"),
    Code("normalised.country_missing", "BuyerCountry missing; IDN assumed for a TIN/NIK buyer"),
    Code("normalised.nitku_16", "A 16-digit IDTKU read as the head office (+000000)"),
    Code("normalised.nitku_space", "Spaces removed from an IDTKU"),
    Code("normalised.npwp15", "A 15-digit legacy NPWP converted to NPWP16 by prefixing 0"),
    Code("normalised.vat_rate_11", "VATRate 11 (pre-2025 spelling) read as 12 on DPP nilai lain 11/12"),
    # Restated, not refused: the seller's DPP and PPnBM stand, the rate is the law's, and the draft waits for the
    # seller's signature (reasons in validation.py)
    Code("normalised.luxury_vat_rate_11", "VATRate 11 on a luxury (PPnBM) line read as 12 on the full price "
                                          "(PMK-131/2024, from 1 February 2025): VAT restated; check it before "
                                          "signing"),
    Code("normalised.decimals", "A number with more than 2 decimals rounded half-up to 2 (DJP: max 2 decimals)"),
    Code("normalised.code_empty", "An empty goods/services Code read as the generic 000000"),
    Code("normalised.buyer_idtku_non_tin", "BuyerIDTKU of a buyer without TIN read as 000000"),
    # lifecycle and signing
    Code("invoice.not_found", "No such invoice for you"),
    Code("invoice.not_draft", "Only drafts can be changed or deleted"),
    Code("idempotency.key_reused", "This Idempotency-Key was used with a different request"),
    Code("idempotency.in_progress", "A request with this Idempotency-Key is still being processed; retry later"),
    Code("webhook.url_invalid", "callback_url must be an absolute http:// or https:// URL"),
    Code("webhook.url_forbidden", "callback_url may not point at loopback, private, link-local (cloud metadata) or "
                                  "other non-public addresses, nor at localhost; https is required in production"),
    Code("signing.passphrase_required", "The job was interrupted before these invoices were signed; resubmit with "
                                        "the passphrase (it is never stored)", "ETAX-40004"),
    Code("signing.credential_rejected", "Identity refused the credential or the passphrase", "ETAX-40004"),
    Code("signing.identity_unavailable", "Identity's signing service could not be reached", "ETAX-40001"),
    Code("signing.not_signable", "The invoice is not a valid draft of this seller"),
    Code("signing.replaced_not_active", "The invoice this replacement replaces is no longer signed (cancelled or "
                                        "already replaced)"),
    # lifecycle of a signed invoice (tax-rules §3.6-3.9)
    Code("invoice.not_seller", "Only the seller's people may do this"),
    Code("invoice.not_buyer", "Only the buyer's people (a buyer with an NPWP) may do this"),
    Code("cancellation.not_signed", "Only a signed invoice can be cancelled (delete a draft instead)"),
    Code("cancellation.already_cancelled", "The invoice is already cancelled"),
    Code("cancellation.replaced", "The invoice was replaced: cancel its replacement (the current version)"),
    Code("cancellation.replacement_pending", "A replacement draft of this invoice exists: delete or sign it first"),
    Code("cancellation.input_tax_credited", "The buyer has credited this invoice's input tax; cancellation needs "
                                            "the buyer's confirmation (not supported here)", "ETAX-API-10056"),
    Code("cancellation.reason_required", "Give the reason (and the proof, e.g. the cancelled contract)"),
    Code("replacement.not_signed", "Only a signed invoice can be replaced (change a draft instead)"),
    Code("replacement.cancelled", "A cancelled invoice cannot be replaced"),
    Code("replacement.already_replaced", "The invoice was replaced already: replace its replacement"),
    Code("replacement.pending", "A replacement draft of this invoice already exists"),
    Code("replacement.buyer_identity_changed", "A wrong buyer identity (document, NPWP/ID, country, NITKU) is "
                                               "corrected by cancellation and a new invoice, not by replacement"),
    Code("replacement.too_many", "The status code would exceed 99"),
    Code("return.invoice_not_signed", "A Nota Retur needs a signed invoice that is not cancelled or replaced"),
    Code("return.empty", "A Nota Retur needs at least one line"),
    Code("return.line_unknown", "The invoice has no such line"),
    Code("return.line_repeated", "A line appears twice in one Nota Retur"),
    Code("return.qty_not_positive", "The returned quantity must be greater than 0"),
    Code("return.qty_exceeds_invoiced", "The returns of this line would exceed the invoiced quantity"),
    Code("return.date_before_invoice", "The return date is before the invoice date"),
    Code("return.date_in_future", "The return date is in the future"),
    Code("input_tax.invoice_not_signed", "Only a signed invoice's input tax can be credited or rejected"),
    Code("input_tax.invoice_cancelled", "The invoice is cancelled: its input tax is not creditable"),
    Code("input_tax.invoice_replaced", "The invoice was replaced: decide on its replacement"),
    Code("input_tax.already_decided", "The input tax of this invoice was already credited or rejected"),
    Code("input_tax.outside_window", "Input tax is credited in the invoice's period or up to 3 periods after it "
                                     "(UU PPN Art 9(9))"),
    Code("input_tax.period_in_future", "The crediting period has not started yet"),
    Code("invoice.late_upload", "Signed (approved) after the 20th of the month after the invoice date (PER-11 Art "
                                "44): late"),
]

CODES: dict[str, Code] = {c.code: c for c in _ALL}


def legacy(code: str) -> str | None:
    c = CODES.get(code)
    return c.legacy if c else None


def error(code: str, path: str, message: str | None = None) -> dict[str, str | None]:
    base = CODES[code]
    return {"code": code, "message": message or base.message, "path": path, "legacy_code": base.legacy}
