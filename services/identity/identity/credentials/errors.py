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
