"""Errors about an invoice that every slice may raise; each slice's own are in its `errors.py`."""

from kit.errors import Conflict, NotFound, ValidationFailed


class InvoiceNotFound(NotFound):
    code, title = "invoice.not_found", "Invoice not found"


class InvoiceNotDraft(Conflict):
    code, title = "invoice.not_draft", "Only drafts can be changed or deleted"


class InvoiceInvalid(ValidationFailed):
    code, title = "invoice.invalid", "The invoice breaks one or more rules"
