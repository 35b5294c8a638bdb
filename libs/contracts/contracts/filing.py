"""Events published by the filing service on `filing.events`, keyed by the taxpayer's NPWP (reference data, which
is no taxpayer's, by `REFERENCE_KEY`).

Amounts are whole rupiah written as decimal strings. `period` is a masa pajak (`YYYY-MM`) or a tax year (`YYYY`).
`form` names the return: spt_masa_ppn, spt_masa_pph21, spt_masa_pph_unifikasi, spt_tahunan_op, spt_tahunan_badan
(a new form adds a value, so it is a pattern, not a closed list). A return's versions (`spt_version`; `version`
is the contract's own) are 0 (Normal), 1 (Pembetulan ke-1), 2, ...: the Normal is announced by `SPTSubmitted`, each
pembetulan by `SPTCorrected` instead.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts.registry import Contract, register

TOPIC = "filing.events"
# The partition key of reference data (days off, interest rates): one key, so its publications arrive in order.
REFERENCE_KEY = "reference"

_AMOUNT = r"^[0-9]+(\.[0-9]{1,2})?$"
_NPWP = r"^[0-9]{16}$"
_PERIOD = r"^[0-9]{4}(-(0[1-9]|1[0-2]))?$"
_CODE = r"^[a-z][a-z0-9_]*$"
_KAP_KJS = r"^[0-9]{6}-[0-9]{3}$"
_BILLING_CODE = r"^[0-3][0-9]{14}$"  # DJP codes, as payment's contracts
_NTPN = r"^[0-9A-Z]{16}$"
_DIGEST = r"^[0-9a-f]{64}$"

Outcome = Literal["kurang_bayar", "lebih_bayar", "nihil"]


@register
class SPTSubmitted(Contract):
    """A Normal return is filed: signed, accepted under UU KUP Art 3(7), and given a receipt (BPE). A kurang bayar
    return is filed when its payment is confirmed ("Bayar dan Lapor"), so `payment_date` and `ntpn` are set then."""

    type: ClassVar[str] = "SPTSubmitted"
    version: ClassVar[int] = 1
    source: ClassVar[str] = "filing"

    spt_id: str
    npwp: str = Field(pattern=_NPWP)
    form: str = Field(pattern=_CODE)
    period: str = Field(pattern=_PERIOD)
    spt_version: int = Field(ge=0, description="0 (Normal); corrections travel as SPTCorrected")
    filed_at: datetime
    receipt_number: str = Field(min_length=1, description="BPE (bukti penerimaan elektronik) number")
    content_digest: str = Field(pattern=_DIGEST, description="SHA-256 (hex) of the signed content")
    outcome: Outcome
    amount_payable: str = Field(pattern=_AMOUNT, description="kurang bayar; 0 for a nil or lebih bayar return")
    overpayment: str = Field(pattern=_AMOUNT, description="lebih bayar; 0 otherwise")
    due_date: date = Field(description="effective filing due date (after rolling over days off and any extension)")
    late: bool = Field(description="filed after due_date")
    billing_code: str | None = Field(default=None, pattern=_BILLING_CODE)
    ntpn: str | None = Field(default=None, pattern=_NTPN)
    payment_date: date | None = None
    signer_account_id: str | None = None


@register
class SPTPaymentRequested(Contract):
    """Submitting a kurang bayar return asks payment for an SPT-linked billing code (Coretax "Bayar dan Lapor"); the
    return waits until payment confirms or the code expires (payment's BillingCreated, PaymentConfirmed and
    BillingExpired carry `spt_id` back). One request per KAP-KJS: a return owing PPN and PPnBM sends two."""

    type: ClassVar[str] = "SPTPaymentRequested"
    version: ClassVar[int] = 1
    source: ClassVar[str] = "filing"

    spt_id: str
    npwp: str = Field(pattern=_NPWP)
    form: str = Field(pattern=_CODE)
    period: str = Field(pattern=_PERIOD)
    spt_version: int = Field(ge=0, description="0 = Normal, n = Pembetulan ke-n")
    kap_kjs: str = Field(pattern=_KAP_KJS, description="e.g. 411211-100 for PPN dalam negeri masa")
    amount: str = Field(pattern=_AMOUNT)
    payment_due_date: date = Field(description="effective due date of the payment; paying later bears interest")
    requested_at: datetime


@register
class SPTCorrected(Contract):
    """A pembetulan (UU KUP Art 8) is filed: a new version of a return, with its own receipt. `tax_raise` is what the
    correction adds to the tax payable (Art 8(2)/(2a) interest runs on it); a correction that shows an overpayment or
    a loss was held to Art 8(1a)."""

    type: ClassVar[str] = "SPTCorrected"
    version: ClassVar[int] = 1
    source: ClassVar[str] = "filing"

    spt_id: str = Field(description="the new version")
    previous_spt_id: str
    npwp: str = Field(pattern=_NPWP)
    form: str = Field(pattern=_CODE)
    period: str = Field(pattern=_PERIOD)
    spt_version: int = Field(ge=1, description="1 = Pembetulan ke-1, ...")
    previous_spt_version: int = Field(ge=0)
    filed_at: datetime
    receipt_number: str = Field(min_length=1)
    content_digest: str = Field(pattern=_DIGEST)
    outcome: Outcome
    amount_payable: str = Field(pattern=_AMOUNT)
    overpayment: str = Field(pattern=_AMOUNT)
    tax_raise: str = Field(pattern=_AMOUNT, description="increase of the tax payable over the previous version")
    shows_overpayment_or_loss: bool
    billing_code: str | None = Field(default=None, pattern=_BILLING_CODE)
    ntpn: str | None = Field(default=None, pattern=_NTPN)
    payment_date: date | None = None
    signer_account_id: str | None = None


@register
class STPIssued(Contract):
    """A tax collection letter (Surat Tagihan Pajak, UU KUP Art 14): a fine or interest the taxpayer owes, paid with
    `kap_kjs` by `due_date` (1 month after issue). Payment records the debt from it."""

    type: ClassVar[str] = "STPIssued"
    version: ClassVar[int] = 1
    source: ClassVar[str] = "filing"

    stp_id: str
    stp_number: str = Field(min_length=1)
    npwp: str = Field(pattern=_NPWP)
    reason: str = Field(pattern=_CODE, description="late_filing | not_filed | late_payment | correction_interest | "
                                                   "late_faktur")
    basis: str = Field(description="the article, e.g. 'UU KUP Art 7(1)'")
    kap_kjs: str = Field(pattern=_KAP_KJS, description="e.g. 411211-300 for a late SPT Masa PPN")
    amount: str = Field(pattern=_AMOUNT)
    principal: str | None = Field(default=None, pattern=_AMOUNT, description="the tax the interest is charged on")
    interest_months: int | None = Field(default=None, ge=0, le=24)
    monthly_rate_percent: str | None = Field(default=None, pattern=_AMOUNT)
    form: str | None = Field(default=None, pattern=_CODE)
    period: str | None = Field(default=None, pattern=_PERIOD)
    spt_id: str | None = None
    invoice_id: str | None = Field(default=None, description="the late faktur, for reason late_faktur")
    issued_on: date
    due_date: date


@register
class SKPIssued(Contract):
    """A tax assessment after an audit: SKPKB (underpayment), SKPKBT (additional underpayment), SKPLB (overpayment)
    or SKPN (nil), with the principal, Art 13(2) interest and the officer's reasoning."""

    type: ClassVar[str] = "SKPIssued"
    version: ClassVar[int] = 1
    source: ClassVar[str] = "filing"

    skp_id: str
    skp_number: str = Field(min_length=1)
    npwp: str = Field(pattern=_NPWP)
    kind: Literal["SKPKB", "SKPKBT", "SKPLB", "SKPN"]
    form: str = Field(pattern=_CODE)
    period: str = Field(pattern=_PERIOD)
    audit_id: str
    principal: str = Field(pattern=_AMOUNT, description="tax underpaid (SKPKB/SKPKBT) or overpaid (SKPLB)")
    interest: str = Field(pattern=_AMOUNT, description="UU KUP Art 13(2) interest; 0 for SKPLB/SKPN")
    increase: str = Field(pattern=_AMOUNT, description="kenaikan (Art 13(3)); 0 when none")
    total: str = Field(pattern=_AMOUNT, description="amount to pay (SKPKB/SKPKBT) or to refund (SKPLB)")
    kap_kjs: str | None = Field(default=None, pattern=_KAP_KJS, description="set when there is something to pay")
    issued_on: date
    due_date: date | None = Field(default=None, description="1 month after issue, when there is something to pay")
    reasoning: str
    officer_account_id: str


@register
class AuditStarted(Contract):
    """The DJP started an audit of a taxpayer's period: from now on the period's returns cannot be filed or corrected
    (UU KUP Art 3(7)(d), Art 8(1))."""

    type: ClassVar[str] = "AuditStarted"
    version: ClassVar[int] = 1
    source: ClassVar[str] = "filing"

    audit_id: str
    npwp: str = Field(pattern=_NPWP)
    period: str = Field(pattern=_PERIOD)
    form: str | None = Field(default=None, pattern=_CODE, description="absent when every tax of the period is audited")
    audit_type: str = Field(pattern=_CODE, description="field | office")
    started_at: datetime
    officer_account_id: str


@register
class AuditClosed(Contract):
    type: ClassVar[str] = "AuditClosed"
    version: ClassVar[int] = 1
    source: ClassVar[str] = "filing"

    audit_id: str
    npwp: str = Field(pattern=_NPWP)
    period: str = Field(pattern=_PERIOD)
    form: str | None = Field(default=None, pattern=_CODE)
    outcome: str = Field(pattern=_CODE, description="assessed | no_findings | stopped")
    skp_ids: list[str] = Field(default_factory=list)
    closed_at: datetime
    officer_account_id: str


@register
class KSWPIssued(Contract):
    """A KSWP (Konfirmasi Status Wajib Pajak) letter for one requesting agency: valid only when the NPWP is active,
    the name matches and the SPT Tahunan of the last two years is filed (customs also: the last 3 SPT Masa PPN).
    The letter and the API answer are rendered from the snapshot `snapshot_digest` names."""

    type: ClassVar[str] = "KSWPIssued"
    version: ClassVar[int] = 1
    source: ClassVar[str] = "filing"

    kswp_id: str
    letter_number: str = Field(min_length=1)
    npwp: str = Field(pattern=_NPWP)
    requesting_agency: str = Field(min_length=1)
    service: str = Field(min_length=1, description="the public service the agency provides")
    variant: Literal["standard", "customs"]
    status: Literal["valid", "invalid"]
    reasons: list[str] = Field(default_factory=list, description="stable codes of the failed checks; empty if valid")
    checked_at: datetime
    snapshot_digest: str = Field(pattern=_DIGEST)
    verification_code: str = Field(min_length=1, description="for the public verification of the letter")


@register
class DeadlineApproaching(Contract):
    """A return the taxpayer owes and has not filed is due soon: `reminder` `d7` when its effective due date is 7
    working days ahead, `d1` the working day before. Published once per return and reminder (`reminder_id`), so a
    consumer may key its notice on it."""

    type: ClassVar[str] = "DeadlineApproaching"
    version: ClassVar[int] = 1
    source: ClassVar[str] = "filing"

    reminder_id: str
    npwp: str = Field(pattern=_NPWP)
    form: str = Field(pattern=_CODE, description="the return owed: spt_masa_ppn, spt_tahunan_op, spt_tahunan_badan")
    period: str = Field(pattern=_PERIOD)
    due_date: date = Field(description="effective filing due date (after rolling over days off and any extension)")
    days_left: int = Field(ge=0, description="working days from sent_on to due_date (the due date counted)")
    reminder: str = Field(pattern=r"^d[0-9]+$", description="which reminder: d7, d1")
    sent_on: date = Field(description="the Jakarta day the reminder was sent")


_SKB_TAX = Literal["pph21", "pph22", "pph23"]
_SKB_GROUND = Literal["fiscal_loss", "loss_carry_forward", "prepaid_exceeds_due", "final_income_only"]


@register
class SKBIssued(Contract):
    """An SKB (Surat Keterangan Bebas, PER-8/PJ/2025 Art 70-73) is issued: the payee `npwp` is exempt from `tax`
    withholding (or collection) from `valid_from` to `valid_until` (31 December of the tax year). What a withholder
    keeps to know, before it withholds, that it must not; the applicant's notice of the approval."""

    type: ClassVar[str] = "SKBIssued"
    version: ClassVar[int] = 1
    source: ClassVar[str] = "filing"

    application_id: str
    skb_number: str = Field(min_length=1)
    npwp: str = Field(pattern=_NPWP)
    tax: _SKB_TAX = Field(description="the withholding exempted from: pph21, pph22 (including import) or pph23")
    ground: _SKB_GROUND = Field(description="PER-8/PJ/2025 Art 70 (a)-(d)")
    tax_year: int = Field(ge=2000, le=9999)
    valid_from: date
    valid_until: date = Field(description="31 December of the tax year")
    received_on: date = Field(description="the day the application was received")
    decision_due: date = Field(description="5 working days after the receipt")
    decided_at: datetime
    officer_account_id: str


@register
class SKBRejected(Contract):
    """An SKB application is rejected, with the officer's reason: the payee stays subject to withholding (nothing for
    a withholder to keep); the applicant's notice of the decision."""

    type: ClassVar[str] = "SKBRejected"
    version: ClassVar[int] = 1
    source: ClassVar[str] = "filing"

    application_id: str
    npwp: str = Field(pattern=_NPWP)
    tax: _SKB_TAX
    ground: _SKB_GROUND
    tax_year: int = Field(ge=2000, le=9999)
    reason: str = Field(min_length=1)
    received_on: date
    decision_due: date
    decided_at: datetime
    officer_account_id: str


@register
class WrittenWarningIssued(Contract):
    """An officer recorded a written warning (Surat Teguran) sent to the taxpayer about one return (`form`,
    `period`). From then on a lebih bayar return of that form and period submitted after `overpayment_filing_limit`
    is considered not filed (UU KUP Art 3(7)(c)); the taxpayer's notice of the letter. Aggregate `written_warning`,
    subject `warning_id`, `sequence` 1 (a warning is recorded once and never changes)."""

    type: ClassVar[str] = "WrittenWarningIssued"
    version: ClassVar[int] = 1
    source: ClassVar[str] = "filing"

    warning_id: str
    letter_number: str = Field(min_length=1, description="the letter's number, as the tax office wrote it")
    npwp: str = Field(pattern=_NPWP)
    form: str = Field(pattern=_CODE, description="the return warned about: spt_masa_ppn, spt_tahunan_op, ...")
    period: str = Field(pattern=_PERIOD)
    issued_on: date = Field(description="the letter's date (`warned_on` in filing's API)")
    overpayment_filing_limit: date = Field(
        description="3 years after the period ended: a lebih bayar return of this form and period submitted later "
                    "is considered not filed (refused `return.overpayment_too_late`)")
    recorded_at: datetime
    officer_account_id: str


_MONTH = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
_RATE = r"^[0-9]{1,3}(\.[0-9]{1,4})?$"  # percent per month, e.g. "0.92" (filing publishes at most 2 decimals)
_Day = date  # a field below is named `date`


class PublishedDayOff(BaseModel):
    """A listed day off: `kind` is national_holiday, cuti_bersama or election_day (PMK-81/2024 Art 100)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    date: _Day
    kind: str = Field(pattern=_CODE)
    name: str = Field(min_length=1)


@register
class WorkingCalendarPublished(Contract):
    """An officer published a year's days off besides Saturday and Sunday (the SKB 3 Menteri on national holidays and
    cuti bersama, with election days off): the whole list of the year, which replaces any earlier list of that year
    (a packaged one, or an earlier revision: an SKB can be amended). Key `REFERENCE_KEY`, subject the year,
    `sequence` = `revision`: a consumer keeps the highest revision."""

    type: ClassVar[str] = "WorkingCalendarPublished"
    version: ClassVar[int] = 1
    source: ClassVar[str] = "filing"

    year: int = Field(ge=1900, le=9999)
    revision: int = Field(ge=1, description="1 for the first publication of the year, +1 for each amendment")
    days: list[PublishedDayOff] = Field(description="in date order")
    basis_number: str = Field(min_length=1, description="the SKB (or amending SKB) the list comes from")
    basis_signed_on: date
    published_at: datetime


@register
class InterestRatesPublished(Contract):
    """An officer published a month's KMK interest rates (UU KUP as amended by HPP), percent per month: tier 1 Art
    19(1)-(3), tier 2 Art 8(2)(2a), 9(2a)(2b), 14(3), tier 3 Art 8(5), tier 4 Art 13(2)(2a), tier 5 Art 13(3b), and the
    imbalan bunga rate. In force for that calendar month; a KMK is not amended, so a month is published once. Key
    `REFERENCE_KEY`, subject the month, `sequence` 1."""

    type: ClassVar[str] = "InterestRatesPublished"
    version: ClassVar[int] = 1
    source: ClassVar[str] = "filing"

    month: str = Field(pattern=_MONTH)
    tier_1: str = Field(pattern=_RATE)
    tier_2: str = Field(pattern=_RATE)
    tier_3: str = Field(pattern=_RATE)
    tier_4: str = Field(pattern=_RATE)
    tier_5: str = Field(pattern=_RATE)
    imbalan_bunga: str = Field(pattern=_RATE)
    kmk_number: str = Field(min_length=1)
    kmk_signed_on: date
    published_at: datetime
