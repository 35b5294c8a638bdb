"""Errors of the signing-credential module, each with a stable code."""

from __future__ import annotations

from kit.errors import AppError, Conflict, Forbidden, NotFound, ValidationFailed


class PassphraseRejected(ValidationFailed):
    """`details.rules` lists the rules the passphrase breaks: min_length, max_length, uppercase, lowercase, digit,
    special, forbidden_character."""

    code, title = "credential.passphrase_rejected", "The passphrase does not meet the rules"


class FaceCheckFailed(AppError):
    code, status, title = "credential.face_check_failed", 422, "Face validation failed"


class FaceCheckUnavailable(AppError):
    code, status, title = "credential.face_check_unavailable", 503, "Face validation is unavailable; try again"


class NotEligible(Forbidden):
    code, title = "credential.not_eligible", "This account cannot hold a signing credential"


class PersonalTokenRequired(Forbidden):
    code, title = "credential.personal_token_required", \
        "Signing credentials are requested by the person themself, not while acting for someone else"


class PersonChanged(Conflict):
    code, title = "credential.person_changed", "The person's identity changed during the request; try again"


class CredentialNotFound(NotFound):
    code, title = "credential.not_found", "Signing credential not found"


class CredentialRevoked(Conflict):
    code, title = "credential.revoked", "The signing credential is revoked"


class CredentialExpired(Conflict):
    code, title = "credential.expired", "The signing credential has expired"


class CredentialLocked(AppError):
    """`details.locked_until`: when it can be used again."""

    code, status, title = "credential.locked", 423, "Too many wrong passphrases: the credential is locked"


class WrongPassphrase(Forbidden):
    """`details.attempts_remaining` before the credential locks."""

    code, title = "credential.passphrase_wrong", "Wrong passphrase"


class DigestInvalid(ValidationFailed):
    """`details.index` and `details.reason` name the first bad digest; nothing is signed."""

    code, title = "credential.digest_invalid", "A digest is not a base64 SHA-256 digest"


class BatchTooLarge(AppError):
    code, status, title = "credential.batch_too_large", 413, "Too many digests in one call"


class PassphraseOrSession(ValidationFailed):
    code, title = "signature.passphrase_or_session", "Send exactly one of `passphrase` and `signing_session`"


class SessionTermsRejected(ValidationFailed):
    """`details.max_ttl_s` and `details.max_signatures`: the most a session may be opened for."""

    code, title = "signing_session.terms_rejected", "The session's asked-for lifetime or budget is above the maximum"


class SessionNotFound(NotFound):
    code, title = "signing_session.not_found", "Signing session not found"


class SessionInvalid(Forbidden):
    """Unknown session, wrong secret, or a session of another credential or account: not told apart."""

    code, title = "signing_session.invalid", "The signing session or its secret is not valid"


class SessionDeviceMismatch(Forbidden):
    code, title = "signing_session.device_mismatch", \
        "The signing session was opened from another login session (device)"


class SessionExpired(Conflict):
    """`details.expired_at`."""

    code, title = "signing_session.expired", "The signing session has expired; open a new one"


class SessionClosed(Conflict):
    """`details.reason`: holder_request, credential_revoked or credential_locked."""

    code, title = "signing_session.closed", "The signing session is closed; open a new one"


class SessionExhausted(Conflict):
    """`details.max_signatures`, `details.signatures_used`, `details.requested`: nothing was signed."""

    code, title = "signing_session.exhausted", "The signing session's signature budget would be exceeded"
