"""Errors of the identity service, each with a stable code."""

from kit.errors import Conflict, Forbidden, NotFound, RateLimited, Unauthorized, ValidationFailed


class TaxpayerAlreadyRegistered(Conflict):
    code, title = "taxpayer.already_registered", "Taxpayer already registered"


class TaxpayerNotFound(NotFound):
    code, title = "taxpayer.not_found", "Taxpayer not found"


class RegistrationNotFound(NotFound):
    code, title = "registration.not_found", "Registration not found or expired"


class DuplicateRegistration(Conflict):
    code, title = "registration.duplicate", "Already registered: use password reset or activation instead"


class RegistryMismatch(ValidationFailed):
    code, title = "registration.registry_mismatch", "The data does not match the registry"


class PassportExpired(ValidationFailed):
    code, title = "registration.passport_expired", "The passport has expired"


class StayPermitExpired(ValidationFailed):
    code, title = "registration.stay_permit_expired", "The stay permit has expired"


class PICNotAnOfficer(ValidationFailed):
    code, title = "registration.pic_not_an_officer", "The PIC is not an officer in the company registry"


class OTPInvalid(ValidationFailed):
    code, title = "otp.invalid", "Wrong or already used code"


class OTPExpired(ValidationFailed):
    code, title = "otp.expired", "The code has expired: ask for a new one"


class OTPLocked(ValidationFailed):
    code, title = "otp.too_many_attempts", "Too many wrong codes: ask for a new one"


class OTPCooldown(RateLimited):
    code, title = "otp.cooldown", "Wait before asking for another code"


class OTPRateLimited(RateLimited):
    code, title = "otp.rate_limited", "Too many codes requested: try again later"


class InvalidGrant(Unauthorized):
    """RFC 6749 `invalid_grant`: wrong credentials, expired or reused refresh token. Never says which."""

    code, status, title = "oauth.invalid_grant", 400, "Invalid credentials or grant"


class InvalidClient(Unauthorized):
    code, title = "oauth.invalid_client", "Invalid client credentials"


class UnsupportedGrant(ValidationFailed):
    code, status, title = "oauth.unsupported_grant_type", 400, "Unsupported grant type"


class LoginThrottled(RateLimited):
    code, title = "auth.login_throttled", "Too many failed attempts: wait before trying again"


class NotRepresentative(Forbidden):
    code, title = "auth.not_a_representative", "No role for this taxpayer"


class RoleForbidden(Forbidden):
    code, title = "role.forbidden", "Only the taxpayer's PIC may change roles"


class PersonNotFound(NotFound):
    code, title = "person.not_found", "Person not found"


class ClientNotFound(NotFound):
    code, title = "pjap.client_not_found", "PJAP client not found"
