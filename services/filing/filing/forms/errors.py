"""Errors of the forms slice, each with a stable code and `details.path` (a JSON pointer into the request)."""

from __future__ import annotations

from kit.errors import NotFound, ValidationFailed


class FormUnknown(NotFound):
    code, title = "form.unknown", "No such form"


class FieldUnknown(ValidationFailed):
    code, title = "form.field_unknown", "The form has no such field"


class FieldRequired(ValidationFailed):
    code, title = "form.field_required", "The form requires this field"


class FieldInvalid(ValidationFailed):
    code, title = "form.field_invalid", "The value does not fit the field (type, code list, length or size)"


class AttachmentUnknown(ValidationFailed):
    code, title = "form.attachment_unknown", "The form takes no such attachment"
