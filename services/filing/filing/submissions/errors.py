"""Errors of the submissions slice, each with a stable code. The Art 3(7) refusals are the returns slice's
(`return.unsigned`, `return.audit_started`, ...), the second Normal the corrections slice's (`return.normal_exists`)."""

from __future__ import annotations

from kit.errors import AppError, Conflict, NotFound, ValidationFailed


class SignerUnavailable(AppError):
    """Identity could not be reached (or answered 5xx) after the client's retries: nothing was signed or filed."""

    code, status, title = "signature.identity_unavailable", 503, "The signing service is unavailable; try again"


class PaidAmountDiffers(Conflict):
    """A payment made for an earlier submission of this version (its other billing code expired) no longer matches
    what the return now owes under that KAP-KJS."""

    code, title = "return.paid_amount_differs", \
        "A payment already made for this return does not match the amount it now owes"


class SubmissionNotFound(NotFound):
    code, title = "submission.not_found", "No submitted return for this period"


class ReceiptNotFound(NotFound):
    code, title = "receipt.not_found", "No such receipt"


class PassphraseOrSession(ValidationFailed):
    """Both sent (the request's validation answers it; neither is `request.invalid`: the passphrase is missing)."""

    code, title = "submission.passphrase_or_session", "Send exactly one of `passphrase` and `signing_session`"


class BatchDuplicate(ValidationFailed):
    """`details.path` names the second mention of a return (same NPWP, form and period)."""

    code, title = "submission.batch_duplicate", "A return is listed twice in the batch"


class NoLoginSession(ValidationFailed):
    """A signing session is bound to the signer's login session; this token names none (`sid` or `jti`)."""

    code, title = "submission.no_login_session", "The token names no login session to use a signing session from"


class SubmissionsBusy(AppError):
    """More single submissions wait than the desk takes (`SubmissionDesk.max_waiting`): shed at once, nothing done,
    rather than queued for longer than a client waits."""

    code, status, title = "submission.busy", 503, "Too many submissions are waiting; retry in a moment"
