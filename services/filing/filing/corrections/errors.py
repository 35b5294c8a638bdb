"""Errors of the corrections slice, each with a stable code."""

from __future__ import annotations

from kit.errors import Conflict


class NormalAlreadyFiled(Conflict):
    code, title = "return.normal_exists", \
        "A Normal return exists for this period: file a pembetulan instead (a Normal is filed once)"


class CorrectionWithoutNormal(Conflict):
    code, title = "correction.no_normal", "There is no filed Normal return to correct for this period"


class CorrectionUnderAudit(Conflict):
    code, title = "correction.under_audit", \
        "An audit of this period has started: the return can no longer be corrected (UU KUP Art 8(1))"


class CorrectionOverpaymentTooLate(Conflict):
    code, title = "correction.overpayment_too_late", \
        "A correction showing an overpayment or a loss must be filed at least 2 years before the assessment " \
        "limitation period ends (UU KUP Art 8(1a))"
