"""Errors of taxpayers and their representatives, each with a stable code."""

from kit.errors import Conflict, Forbidden, NotFound


class TaxpayerAlreadyRegistered(Conflict):
    code, title = "taxpayer.already_registered", "Taxpayer already registered"


class TaxpayerNotFound(NotFound):
    code, title = "taxpayer.not_found", "Taxpayer not found"


class NotRepresentative(Forbidden):
    code, title = "auth.not_a_representative", "No role for this taxpayer"


class RoleForbidden(Forbidden):
    code, title = "role.forbidden", "Only the taxpayer's PIC may change roles"


class RoleAlreadyGranted(Conflict):
    code, title = "role.already_granted", "The person already has this role"


class GrantNotFound(NotFound):
    code, title = "role.not_found", "Role grant not found"


class PersonNotFound(NotFound):
    code, title = "person.not_found", "Person not found"
