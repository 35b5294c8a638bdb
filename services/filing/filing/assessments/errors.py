"""Errors of the assessments slice (audits and SKP), each with a stable code."""

from __future__ import annotations

from kit.errors import Conflict, NotFound, ValidationFailed


class AuditNotFound(NotFound):
    code, title = "audit.not_found", "No such audit"


class AuditAlreadyOpen(Conflict):
    code, title = "audit.already_open", "An audit of this taxpayer's period (and form) is already open"


class AuditIsClosed(Conflict):
    code, title = "audit.closed", "The audit is closed"


class AuditOutcomeMismatch(Conflict):
    code, title = "audit.outcome_mismatch", \
        "An audit closes `assessed` when it issued an assessment, and `no_findings`/`stopped` when it issued none"


class AuditFormMismatch(ValidationFailed):
    code, title = "audit.form_mismatch", "The audit does not cover this form"


class SkpKindMismatch(ValidationFailed):
    code, title = "skp.kind_mismatch", \
        "SKPKB, SKPKBT and SKPLB carry a principal above zero; an SKPN none; only SKPKB and SKPKBT an increase"


class SkpkbtWithoutEarlier(Conflict):
    code, title = "skp.no_earlier_assessment", "An SKPKBT follows an earlier assessment of the same period and form"


class SkpkbAfterEarlier(Conflict):
    code, title = "skp.earlier_assessment_exists", \
        "The period and form are already assessed: a further underpayment is assessed by an SKPKBT"
