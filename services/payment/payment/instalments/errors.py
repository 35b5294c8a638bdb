"""Errors of the instalments slice, each with a stable code."""

from __future__ import annotations

from kit.errors import AppError, Conflict, NotFound, ValidationFailed


class KindUnknown(ValidationFailed):
    """`details.allowed` lists the kinds: pph29 and assessment."""

    code, title = "instalment.kind_unknown", "Instalments are for PPh 29 or for an assessment (STP, SKP, decision)"


class TermsInvalid(ValidationFailed):
    """`details.reason`: debt_not_payable, instalments_not_positive, more_instalments_than_rupiah, rate_negative or
    first_due_before_start."""

    code, title = "instalment.terms_invalid", "The instalment terms are not possible"


class TermTooLong(ValidationFailed):
    """`details.max_months`: the last payment may fall at most this many months after the debt's due date."""

    code, title = "instalment.term_too_long", "The instalments or postponement run longer than allowed"


class CalendarYearUnknown(AppError):
    """No holiday list is kept for the year (`details.year`): a decision deadline there would be a guess."""

    code, status, title = "calendar.year_unknown", 422, "No working-day calendar for this year"


class ArrangementNotFound(NotFound):
    """Also the answer for another taxpayer's application: its existence is not revealed."""

    code, title = "instalment.not_found", "No such instalment or postponement application"


class AlreadyApplied(Conflict):
    """The debt has an application waiting for a decision, or a granted schedule (`details.arrangement_id`)."""

    code, title = "instalment.already_applied", "The debt already has an application or a schedule"


class AlreadyDecided(Conflict):
    """`details.status`: what the decision was."""

    code, title = "instalment.already_decided", "The application was decided already"


class NotGranted(Conflict):
    """Only a granted schedule's instalments are payable (`details.status`: applied, rejected, accelerated, ...)."""

    code, title = "instalment.not_granted", "The schedule is not granted, or no longer runs"


class InstalmentNotFound(NotFound):
    code, title = "instalment.number_unknown", "The schedule has no instalment with this number"


class InstalmentPaid(Conflict):
    """`details.ntpn`: the payment that paid it."""

    code, title = "instalment.already_paid", "This instalment is paid"


class RejectionReasonRequired(ValidationFailed):
    code, title = "instalment.reason_required", "A rejection states its reason"


class PostponementTermsInvalid(ValidationFailed):
    """A postponement names `postponed_to` and no `instalments`; instalments name `instalments` (2 or more)."""

    code, title = "instalment.request_invalid", "The request does not fit its kind"


class SptNotFound(NotFound):
    """No code of the taxpayers of this token waits for the PPh 29 (411125-200, 411126-200) of this SPT: the SPT is
    unknown, another taxpayer's, owes no PPh 29, or its code expired (the SPT went back to draft: submit it again)."""

    code, title = "instalment.spt_not_found", "No SPT of yours waits for a PPh 29 payment under this id"


class SptPaid(Conflict):
    """`details.billing_code`: the SPT's PPh 29 code, paid already."""

    code, title = "instalment.spt_paid", "The SPT's PPh 29 is paid"


class SptNotAwaitingPayment(Conflict):
    """Approval of an SPT's PPh 29 application after the SPT's code expired (filing sent the SPT back to draft):
    reject it; the taxpayer submits the SPT again and applies again."""

    code, title = "instalment.spt_not_awaiting_payment", "The SPT no longer waits for its PPh 29 payment"
