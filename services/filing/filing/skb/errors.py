"""Errors of the SKB slice, each with a stable code."""

from __future__ import annotations

from kit.errors import Conflict, NotFound, ValidationFailed


class SkbNotFound(NotFound):
    code, title = "skb.not_found", "No such SKB or SKB application"


class SkbAlreadyDecided(Conflict):
    code, title = "skb.already_decided", "The application has already been decided"


class SkbReasonRequired(ValidationFailed):
    code, title = "skb.reason_required", "A rejection states its reason"


class SkbYearEnded(Conflict):
    code, title = "skb.year_ended", "The tax year applied for has ended: an SKB would hold for no day"
