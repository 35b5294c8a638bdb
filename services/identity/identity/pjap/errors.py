"""Errors of the PJAP register, each with a stable code."""

from kit.errors import NotFound


class ClientNotFound(NotFound):
    code, title = "pjap.client_not_found", "PJAP client not found"
