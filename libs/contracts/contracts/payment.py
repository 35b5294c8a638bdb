"""Events published by the payment service on `payment.events`, keyed by the taxpayer's NPWP (the seller's for
`PHTBValidated`). Amounts are whole rupiah as strings."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts.registry import Contract, register

TOPIC = "payment.events"

_AMOUNT = r"^[0-9]+(\.[0-9]+)?$"
_NPWP = r"^[0-9]{16}$"
_BILLING_CODE = r"^[0-3][0-9]{14}$"
_KAP_KJS = r"^[0-9]{6}-[0-9]{3}$"
_PERIOD = r"^[0-9]{4}(-(0[1-9]|1[0-2]))?$"
_NTPN = r"^[0-9A-Z]{16}$"
_PERIOD_DESCRIPTION = "tax period, YYYY-MM (masa) or YYYY (tahunan); absent when an assessment number identifies it"

BillingOrigin = Literal["spt", "bill", "mandiri"]
DebtKind = Literal["stp", "skpkb", "skpkbt", "spt_underpayment"]
Settles = Literal["spt", "debt", "deposit", "self_assessed"]
NTPN = Annotated[str, Field(pattern=_NTPN)]


@register
class BillingCreated(Contract):
    """A billing code was issued (tax-rules §4.1) and is payable until `expires_at`. `origin`: `spt` (from an SPT
    waiting for payment, `spt_id`), `bill` (a debt from an STP or SKP, or one instalment of it, `debt_id`), or
    `mandiri` (self-assessed, not linked to an SPT or assessment)."""

    type: ClassVar[str] = "BillingCreated"
    version: ClassVar[int] = 1
    source: ClassVar[str] = "payment"

    billing_id: str
    billing_code: str = Field(pattern=_BILLING_CODE, description="15 digits, first digit 0-3 (DJP)")
    npwp: str = Field(pattern=_NPWP)
    kap_kjs: str = Field(pattern=_KAP_KJS)
    period: str | None = Field(default=None, pattern=_PERIOD, description=_PERIOD_DESCRIPTION)
    assessment_number: str | None = Field(default=None, description="STP/SKP number the code pays")
    amount: str = Field(pattern=_AMOUNT)
    origin: BillingOrigin
    spt_id: str | None = Field(default=None, description="filing's SPT id when origin is spt")
    debt_id: str | None = Field(default=None, description="the debt when origin is bill")
    instalment_number: int | None = Field(default=None, ge=1, description="set when the code pays one instalment")
    created_at: datetime
    expires_at: datetime


@register
class BillingExpired(Contract):
    """A billing code reached `expires_at` unpaid and can no longer be paid. An SPT-linked code's expiry sends the SPT
    back from waiting-for-payment to draft at filing (tax-rules §4.1)."""

    type: ClassVar[str] = "BillingExpired"
    version: ClassVar[int] = 1
    source: ClassVar[str] = "payment"

    billing_id: str
    billing_code: str = Field(pattern=_BILLING_CODE)
    npwp: str = Field(pattern=_NPWP)
    kap_kjs: str = Field(pattern=_KAP_KJS)
    period: str | None = Field(default=None, pattern=_PERIOD, description=_PERIOD_DESCRIPTION)
    assessment_number: str | None = None
    amount: str = Field(pattern=_AMOUNT)
    origin: BillingOrigin
    spt_id: str | None = None
    debt_id: str | None = None
    instalment_number: int | None = Field(default=None, ge=1)
    expired_at: datetime


@register
class PaymentConfirmed(Contract):
    """A collecting bank confirmed the payment of a billing code; the state received it under `ntpn` (one per
    payment, tax-rules §4.2). `settles` says what it paid: an SPT (`spt_id`; filing submits it), a debt (`debt_id`,
    maybe one instalment), the deposit (411618-100), or a self-assessed liability for the KAP-KJS and period not
    yet tied to an SPT (`self_assessed`)."""

    type: ClassVar[str] = "PaymentConfirmed"
    version: ClassVar[int] = 1
    source: ClassVar[str] = "payment"

    payment_id: str
    ntpn: str = Field(pattern=_NTPN)
    billing_id: str
    billing_code: str = Field(pattern=_BILLING_CODE)
    npwp: str = Field(pattern=_NPWP)
    kap_kjs: str = Field(pattern=_KAP_KJS)
    period: str | None = Field(default=None, pattern=_PERIOD, description=_PERIOD_DESCRIPTION)
    assessment_number: str | None = None
    amount: str = Field(pattern=_AMOUNT)
    paid_at: datetime = Field(description="when the bank took the payment: the legal payment date")
    bank_code: str
    bank_reference: str = Field(description="the bank's own reference of the payment")
    settles: Settles
    spt_id: str | None = None
    debt_id: str | None = None
    instalment_number: int | None = Field(default=None, ge=1)
    confirmed_at: datetime


@register
class DebtRecorded(Contract):
    """A tax debt is owed and payable with a billing code: from an STP or SKP (due 1 month after issue, tax-rules
    §6.3), from an SPT's kurang bayar, or imported from the legacy system (`legacy`)."""

    type: ClassVar[str] = "DebtRecorded"
    version: ClassVar[int] = 1
    source: ClassVar[str] = "payment"

    debt_id: str
    npwp: str = Field(pattern=_NPWP)
    kind: DebtKind
    kap_kjs: str = Field(pattern=_KAP_KJS)
    assessment_number: str | None = Field(default=None, description="the STP/SKP number; absent for an SPT")
    period: str | None = Field(default=None, pattern=_PERIOD, description="tax period the debt is for, when known")
    amount: str = Field(pattern=_AMOUNT)
    issued_on: date
    due_date: date
    legacy: bool = Field(default=False, description="imported from the pre-Coretax system")
    source_reference: str | None = Field(default=None, description="filing's STP/SKP/SPT id, or the legacy row key")
    recorded_at: datetime


@register
class DebtSettled(Contract):
    """A debt is paid in full, by payments (`ntpns`) and/or deposit allocations (`allocation_ids`)."""

    type: ClassVar[str] = "DebtSettled"
    version: ClassVar[int] = 1
    source: ClassVar[str] = "payment"

    debt_id: str
    npwp: str = Field(pattern=_NPWP)
    kap_kjs: str = Field(pattern=_KAP_KJS)
    assessment_number: str | None = None
    period: str | None = Field(default=None, pattern=_PERIOD)
    amount: str = Field(pattern=_AMOUNT, description="the debt's amount, now fully paid")
    ntpns: list[NTPN] = Field(default_factory=list)
    allocation_ids: list[str] = Field(default_factory=list)
    settled_at: datetime


class ScheduledPayment(BaseModel):
    """One payment of an instalment or postponement schedule."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    number: int = Field(ge=1)
    due_date: date
    principal: str = Field(pattern=_AMOUNT)
    interest: str = Field(pattern=_AMOUNT, description="Art 19(2) tier-1 interest for this payment")
    total: str = Field(pattern=_AMOUNT)


@register
class InstalmentGranted(Contract):
    """DJP granted instalments or a postponement of a debt (PMK-81/2024 Art 113-117; tax-rules §6.5). Each scheduled
    payment is payable with its own billing code; a missed one makes the remainder due."""

    type: ClassVar[str] = "InstalmentGranted"
    version: ClassVar[int] = 1
    source: ClassVar[str] = "payment"

    arrangement_id: str
    npwp: str = Field(pattern=_NPWP)
    debt_id: str
    kap_kjs: str = Field(pattern=_KAP_KJS)
    kind: Literal["instalment", "postponement"]
    debt_kind: Literal["pph29", "assessment"]
    principal: str = Field(pattern=_AMOUNT)
    monthly_rate_percent: str = Field(pattern=_AMOUNT, description="KMK tier-1 rate, % per month")
    schedule: list[ScheduledPayment] = Field(min_length=1)
    officer_account_id: str | None = None
    granted_at: datetime
    spt_id: str | None = Field(default=None, description=(
        "filing's SPT whose PPh 29 the schedule pays: the application named the SPT waiting for payment, the debt "
        "was recorded from its code when granted, and that code expires right after this event (it may no longer "
        "be paid whole)"))


@register
class DepositCredited(Contract):
    """Money entered the taxpayer's deposit (tax-rules §4.4): a payment with 411618-100 (`ntpn`), a transfer from
    another payment, or an overpayment left after offsetting debts."""

    type: ClassVar[str] = "DepositCredited"
    version: ClassVar[int] = 1
    source: ClassVar[str] = "payment"

    credit_id: str
    npwp: str = Field(pattern=_NPWP)
    amount: str = Field(pattern=_AMOUNT)
    route: Literal["payment", "transfer", "overpayment"]
    ntpn: str | None = Field(default=None, pattern=_NTPN)
    source_reference: str | None = Field(default=None, description="the payment, transfer or decision it came from")
    deposited_at: datetime = Field(description="the deposit date, which counts as the payment date when allocated")
    balance_after: str = Field(pattern=_AMOUNT)


@register
class DepositAllocated(Contract):
    """Part of the deposit paid a liability; `deemed_paid_at` (the deposit date) counts as its payment date, so no
    late interest arises for a deposit made before the due date (tax-rules §4.4)."""

    type: ClassVar[str] = "DepositAllocated"
    version: ClassVar[int] = 1
    source: ClassVar[str] = "payment"

    allocation_id: str
    npwp: str = Field(pattern=_NPWP)
    amount: str = Field(pattern=_AMOUNT)
    kap_kjs: str = Field(pattern=_KAP_KJS)
    period: str | None = Field(default=None, pattern=_PERIOD, description=_PERIOD_DESCRIPTION)
    assessment_number: str | None = None
    settles: Literal["spt", "debt", "self_assessed"]
    spt_id: str | None = None
    debt_id: str | None = None
    deemed_paid_at: datetime
    allocated_at: datetime
    balance_after: str = Field(pattern=_AMOUNT)


@register
class DepositDebited(Contract):
    """Money left the taxpayer's deposit other than to pay a liability: a transfer to another taxpayer's deposit
    (`to_npwp`, who gets `DepositCredited` with route `transfer`) or a refund an officer approved (`bank_code`)."""

    type: ClassVar[str] = "DepositDebited"
    version: ClassVar[int] = 1
    source: ClassVar[str] = "payment"

    movement_id: str
    npwp: str = Field(pattern=_NPWP)
    amount: str = Field(pattern=_AMOUNT)
    route: Literal["transfer", "refund"]
    to_npwp: str | None = Field(default=None, pattern=_NPWP)
    bank_code: str | None = None
    debited_at: datetime
    balance_after: str = Field(pattern=_AMOUNT)


@register
class DebtInterestAccrued(Contract):
    """Another month of Art 19 interest (tier 1, UU KUP Art 19(1)) ran on an unpaid debt past its due date. The
    figures are totals to date (`months`, at most 24; `interest`), so the latest event supersedes the earlier ones;
    filing bills it (an STP) as it decides. Keyed by NPWP, `subject` the debt, `sequence` the debt's version."""

    type: ClassVar[str] = "DebtInterestAccrued"
    version: ClassVar[int] = 1
    source: ClassVar[str] = "payment"

    debt_id: str
    npwp: str = Field(pattern=_NPWP)
    kap_kjs: str = Field(pattern=_KAP_KJS)
    assessment_number: str | None = None
    period: str | None = Field(default=None, pattern=_PERIOD)
    principal: str = Field(pattern=_AMOUNT, description="what the interest runs on")
    interest_from: date = Field(description="the due date (or the missed instalment's, once the remainder fell due)")
    as_of: date
    months: int = Field(ge=1, le=24, description="months counted, a part month in full")
    monthly_rate_percent: str = Field(pattern=_AMOUNT, description="KMK tier-1 rate in force on interest_from")
    interest: str = Field(pattern=_AMOUNT, description="total interest to date, whole rupiah")


@register
class PHTBValidated(Contract):
    """The PPh final on a transfer of land or buildings (PP 34/2016, 411128-402) is validated: the Surat Keterangan
    Validasi `number` lets the land office register the deed. `decided_by` is `rules` (checked at once) or `officer`.
    Keyed by the seller's NPWP."""

    type: ClassVar[str] = "PHTBValidated"
    version: ClassVar[int] = 1
    source: ClassVar[str] = "payment"

    validation_id: str
    number: str = Field(description="Surat Keterangan Validasi number")
    npwp: str = Field(pattern=_NPWP, description="the seller")
    buyer_id: str = Field(pattern=_NPWP, description="the buyer's NPWP16 or NIK")
    nop: str = Field(pattern=r"^[0-9]{18}$", description="Nomor Objek Pajak of the property")
    ntpn: str | None = Field(default=None, pattern=_NTPN, description="absent for a 0% transfer to the government")
    kap_kjs: str = Field(pattern=_KAP_KJS)
    gross_value: str = Field(pattern=_AMOUNT)
    category: Literal["general", "simple_house_by_developer", "government_public_purpose"]
    rate_percent: str = Field(pattern=_AMOUNT)
    tax_amount: str = Field(pattern=_AMOUNT)
    decided_by: Literal["rules", "officer"]
    officer_account_id: str | None = None
    verification_url: str | None = Field(default=None, description="public verification page (the PDF's QR code)")
    validated_at: datetime


@register
class BillingExpiryApproaching(Contract):
    """A reminder: a billing code is still unpaid and expires soon (about 24 hours ahead). Sent once per code, never
    once the code is paid, expired, or too close to its expiry to act on. Keyed by NPWP, `subject` the reminder."""

    type: ClassVar[str] = "BillingExpiryApproaching"
    version: ClassVar[int] = 1
    source: ClassVar[str] = "payment"

    reminder_id: str
    billing_id: str
    billing_code: str = Field(pattern=_BILLING_CODE)
    npwp: str = Field(pattern=_NPWP)
    kap_kjs: str = Field(pattern=_KAP_KJS)
    period: str | None = Field(default=None, pattern=_PERIOD, description=_PERIOD_DESCRIPTION)
    assessment_number: str | None = None
    amount: str = Field(pattern=_AMOUNT)
    origin: BillingOrigin
    spt_id: str | None = Field(default=None, description="an SPT-linked code: its expiry sends the SPT back to draft")
    debt_id: str | None = None
    instalment_number: int | None = Field(default=None, ge=1)
    expires_at: datetime
    sent_at: datetime


@register
class InstalmentDueApproaching(Contract):
    """A reminder: an instalment of a granted schedule is unpaid and due within a few days (3 calendar days ahead
    down to the due date itself); a missed one makes the remainder due. Sent once per instalment, never after its
    due date. Keyed by NPWP, `subject` the reminder."""

    type: ClassVar[str] = "InstalmentDueApproaching"
    version: ClassVar[int] = 1
    source: ClassVar[str] = "payment"

    reminder_id: str
    arrangement_id: str
    debt_id: str
    npwp: str = Field(pattern=_NPWP)
    kap_kjs: str = Field(pattern=_KAP_KJS)
    period: str | None = Field(default=None, pattern=_PERIOD, description=_PERIOD_DESCRIPTION)
    assessment_number: str | None = None
    number: int = Field(ge=1, description="which instalment")
    instalments: int = Field(ge=1, description="how many the schedule has")
    due_date: date
    principal: str = Field(pattern=_AMOUNT)
    interest: str = Field(pattern=_AMOUNT)
    total: str = Field(pattern=_AMOUNT, description="what its billing code pays")
    days_left: int = Field(ge=0, description="calendar days from sent_on to due_date (0: due today)")
    billing_code: str | None = Field(default=None, pattern=_BILLING_CODE,
                                     description="the instalment's code, when one is made and still payable")
    sent_on: date = Field(description="the Jakarta day the reminder was sent")
