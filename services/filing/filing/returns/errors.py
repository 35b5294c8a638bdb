"""Errors of the returns slice, each with a stable code. The Art 3(7) refusals share `details.reasons` (every reason
that applies, as codes); the error raised is the first of them in the order of the article."""

from __future__ import annotations

from kit.errors import Conflict, ValidationFailed


class ReturnUnsigned(ValidationFailed):
    code, title = "return.unsigned", "An unsigned SPT is considered not filed (UU KUP Art 3(7)(a))"


class ReturnAttachmentsMissing(ValidationFailed):
    code, title = "return.attachments_missing", \
        "An SPT without the attachments its form requires is considered not filed (UU KUP Art 3(7)(b))"


class ReturnOverpaymentTooLate(Conflict):
    code, title = "return.overpayment_too_late", \
        "An overpayment SPT filed more than 3 years after the period, after a written warning, is considered not " \
        "filed (UU KUP Art 3(7)(c))"


class ReturnUnderAudit(Conflict):
    code, title = "return.audit_started", \
        "An SPT filed after an audit of its period started is considered not filed (UU KUP Art 3(7)(d))"


class ReturnAlreadyAssessed(Conflict):
    code, title = "return.assessment_issued", \
        "An SPT filed after an assessment for its period was issued is considered not filed (UU KUP Art 3(7)(d))"


class ReturnNotOwed(Conflict):
    """The taxpayer owes no such return for the period (an SPT Masa PPN is owed for the months it was a PKP)."""

    code, title = "return.not_owed", "No such return is owed for this period"


class ReturnNotDraft(Conflict):
    code, title = "return.not_draft", "The return is no longer a draft (it awaits payment): it cannot be changed"


class AmountNegative(ValidationFailed):
    code, title = "amount.negative", "An amount entered on a return is not negative"


class AmountTooPrecise(ValidationFailed):
    code, title = "amount.too_many_decimals", "An amount has at most 2 decimals"


class AmountTooLarge(ValidationFailed):
    code, title = "amount.too_large", "The amount is larger than a return can carry"


class ReturnChanged(Conflict):
    code, title = "return.changed", "The return changed while this request ran: retry it"
