"""Errors of the billing slice, each with a stable code. `details` name the offending input."""

from __future__ import annotations

from kit.errors import NotFound, ValidationFailed


class BillingCodeInvalid(ValidationFailed):
    """`details.reason`: length (not 15 characters), digits (not only ASCII digits) or issuer (first digit not 0-3,
    so not a DJP code)."""

    code, title = "billing.code_invalid", "Not a DJP billing code"


class AmountInvalid(ValidationFailed):
    """`details.reason`: not_a_number, not_positive, not_whole_rupiah or too_large."""

    code, title = "billing.amount_invalid", "The amount is not a payable rupiah amount"


class KapKjsInvalid(ValidationFailed):
    code, title = "billing.kap_kjs_invalid", "KAP-KJS must be 6 digits, a dash and 3 digits (411121-100)"


class KapUnknown(ValidationFailed):
    code, title = "billing.kap_unknown", "Unknown tax account code (KAP)"


class KjsNotForKap(ValidationFailed):
    """`details.allowed` lists the deposit types (KJS) this KAP takes."""

    code, title = "billing.kjs_not_for_kap", "This deposit type (KJS) does not go with this KAP"


class PeriodRequired(ValidationFailed):
    """`details.period_kind`: month (YYYY-MM) or year (YYYY)."""

    code, title = "billing.period_required", "This KAP-KJS needs a tax period"


class PeriodInvalid(ValidationFailed):
    """`details.period_kind` is the form expected: month (YYYY-MM) or year (YYYY)."""

    code, title = "billing.period_invalid", "The tax period is not in the form this KAP-KJS needs"


class PeriodNotApplicable(ValidationFailed):
    code, title = "billing.period_not_applicable", "This KAP-KJS takes no tax period"


class AssessmentNumberRequired(ValidationFailed):
    code, title = "billing.assessment_number_required", "This KAP-KJS pays an STP or SKP: give its number"


class AssessmentNumberInvalid(ValidationFailed):
    code, title = "billing.assessment_number_invalid", "The STP or SKP number is empty or too long"


class AssessmentNumberNotApplicable(ValidationFailed):
    code, title = "billing.assessment_number_not_applicable", "This KAP-KJS does not pay an STP or SKP"


class BillingNotFound(NotFound):
    """Also the answer for another taxpayer's code: its existence is not revealed."""

    code, title = "billing.not_found", "No such billing code"


class TransferRequired(ValidationFailed):
    """A PPh PHTB code (411128-402) names the transfer it pays: `details.missing` lists what is absent of `nop`,
    `transfer_value` and `buyer_id`."""

    code, title = "billing.transfer_required", "A PPh PHTB billing code names the property, value and buyer"


class TransferNotApplicable(ValidationFailed):
    code, title = "billing.transfer_not_applicable", "Only a PPh PHTB billing code (411128-402) names a transfer"


class AssessmentNumberInBatch(ValidationFailed):
    """A code naming an STP/SKP number may become that debt's own code (for what it still owes), which is decided
    one code at a time: make it with `POST /v1/billing-codes`."""

    code, title = "billing.assessment_number_in_batch", "A code naming an STP or SKP number is made one at a time"
