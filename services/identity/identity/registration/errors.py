"""Errors of registration, each with a stable code."""

from kit.errors import Conflict, NotFound, ValidationFailed


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


class UnknownCountry(ValidationFailed):
    code, title = "registration.unknown_country", "Unknown country code"
