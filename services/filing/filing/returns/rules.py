"""UU KUP Art 3(7): when a submitted SPT is "considered not filed" (dianggap tidak disampaikan). It is, when:
(a) it is not signed; (b) it lacks attachments its form requires (Art 3(6)); (c) it shows an overpayment, is filed
more than 3 years after the end of the period, and the taxpayer has been warned in writing; (d) it is filed after
the DJP started an audit, or issued an assessment, for that period. The same limits bind a pembetulan (seed 004).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from filing.calendar.periods import TaxPeriod, TaxYear, add_years
from filing.returns.errors import (
    ReturnAlreadyAssessed,
    ReturnAttachmentsMissing,
    ReturnOverpaymentTooLate,
    ReturnUnderAudit,
    ReturnUnsigned,
)
from kit.errors import AppError

OVERPAYMENT_FILING_YEARS = 3


class NotFiledReason(StrEnum):
    """Stable codes, in the order of Art 3(7)."""

    UNSIGNED = "return.unsigned"
    ATTACHMENTS_MISSING = "return.attachments_missing"
    OVERPAYMENT_TOO_LATE = "return.overpayment_too_late"
    AUDIT_STARTED = "return.audit_started"
    ASSESSMENT_ISSUED = "return.assessment_issued"


ERRORS: dict[NotFiledReason, type[AppError]] = {
    NotFiledReason.UNSIGNED: ReturnUnsigned,
    NotFiledReason.ATTACHMENTS_MISSING: ReturnAttachmentsMissing,
    NotFiledReason.OVERPAYMENT_TOO_LATE: ReturnOverpaymentTooLate,
    NotFiledReason.AUDIT_STARTED: ReturnUnderAudit,
    NotFiledReason.ASSESSMENT_ISSUED: ReturnAlreadyAssessed,
}


@dataclass(frozen=True)
class Submission:
    """What Art 3(7) looks at. The audit and assessment dates are those of the return's period that exist when the
    return is submitted (on the same day counts: the service passes only what already exists)."""

    period: TaxPeriod | TaxYear
    submitted_on: date
    signed: bool
    required_attachments: frozenset[str] = field(default_factory=frozenset)
    attachments: frozenset[str] = field(default_factory=frozenset)
    shows_overpayment: bool = False
    written_warning_on: date | None = None
    audit_started_on: date | None = None
    assessment_issued_on: date | None = None


def missing_attachments(submission: Submission) -> list[str]:
    return sorted(submission.required_attachments - submission.attachments)


def overpayment_filing_limit(period: TaxPeriod | TaxYear) -> date:
    """The last day an overpayment SPT counts as filed once the taxpayer has been warned in writing: 3 years after
    the end of the period."""
    return add_years(period.last_day, OVERPAYMENT_FILING_YEARS)


def not_filed_reasons(submission: Submission) -> list[NotFiledReason]:
    """Every Art 3(7) reason that applies; empty when the submission counts as filed."""
    s = submission
    reasons: list[NotFiledReason] = []
    if not s.signed:
        reasons.append(NotFiledReason.UNSIGNED)
    if missing_attachments(s):
        reasons.append(NotFiledReason.ATTACHMENTS_MISSING)
    if (s.shows_overpayment and s.submitted_on > overpayment_filing_limit(s.period)
            and s.written_warning_on is not None and s.written_warning_on <= s.submitted_on):
        reasons.append(NotFiledReason.OVERPAYMENT_TOO_LATE)
    if s.audit_started_on is not None and s.audit_started_on <= s.submitted_on:
        reasons.append(NotFiledReason.AUDIT_STARTED)
    if s.assessment_issued_on is not None and s.assessment_issued_on <= s.submitted_on:
        reasons.append(NotFiledReason.ASSESSMENT_ISSUED)
    return reasons


def ensure_considered_filed(submission: Submission) -> None:
    """Raises the error of the first Art 3(7) reason, with every reason in `details.reasons`."""
    reasons = not_filed_reasons(submission)
    if reasons:
        details: dict[str, object] = {"reasons": [r.value for r in reasons]}
        if NotFiledReason.ATTACHMENTS_MISSING in reasons:
            details["missing_attachments"] = missing_attachments(submission)
        raise ERRORS[reasons[0]](**details)
